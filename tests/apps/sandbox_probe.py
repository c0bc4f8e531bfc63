"""Run inside a sandbox (tests/container/test_sandbox_isolation.py): what untrusted code there can do,
as JSON. Standard library only; ``sys.argv[1]``: JSON of host paths and addresses to try."""

import ctypes
import json
import os
import socket
import stat
import sys
import urllib.error
import urllib.request

given = json.loads(sys.argv[1])
seen = {}
status = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
caps = int(status["CapEff"].strip(), 16)
seen["caps"] = {name: bool(caps & (1 << bit)) for name, bit in
                (("NET_RAW", 13), ("MKNOD", 27), ("SYS_ADMIN", 21), ("SYS_PTRACE", 19), ("NET_ADMIN", 12),
                 ("SYS_MODULE", 16), ("DAC_READ_SEARCH", 2))}
seen["seccomp"] = status["Seccomp"].strip()
seen["no_new_privs"] = status["NoNewPrivs"].strip()
try:
    socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP).close()
    seen["raw_socket"] = True
except PermissionError:
    seen["raw_socket"] = False
try:
    os.mknod("/tmp/null2", 0o600 | stat.S_IFCHR, os.makedev(1, 3))
    seen["mknod"] = True
except PermissionError:
    seen["mknod"] = False
libc = ctypes.CDLL(None, use_errno=True)
seen["unshare"] = libc.unshare(0x00020000) == 0             # CLONE_NEWNS
seen["mount"] = libc.mount(b"none", b"/mnt", b"tmpfs", 0, None) == 0
try:
    with open("/proc/sys/kernel/hostname", "w") as f:
        f.write("escaped")
    seen["proc_sys_writable"] = True
except OSError:
    seen["proc_sys_writable"] = False
seen["pids"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
seen["paths"] = {p: os.path.exists(p) for p in given["paths"]}
seen["env"] = sorted(k for k in os.environ if "TOKEN" in k or k.startswith("LEVERET"))
try:
    urllib.request.urlopen(given["metrics"], timeout=5)
    seen["metrics"] = 200
except urllib.error.HTTPError as exc:
    seen["metrics"] = exc.code
except OSError as exc:
    seen["metrics"] = str(exc)
print(json.dumps(seen))
