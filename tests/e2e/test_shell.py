"""`leveret shell` and `leveret container exec -i / -it` against real server and worker processes
(crun): a shell on a terminal of its own in a new container of a function (its secrets there), its
window size following this terminal's, its exit code passed back; piped input without a terminal;
a container of its own without an app; a shell in a running container by its id; and a command fed
stdin in a running container."""

import fcntl
import os
import select
import struct
import subprocess
import termios
import time

import pytest

from procs import leveret_cmd

pytestmark = pytest.mark.e2e

APP = '''
import leveret

app = leveret.App("shelled")


@app.function(min_containers=1, secrets=[leveret.Secret.from_dict({"SHELL_SECRET": "s3cret"})])
def f():
    return 1
'''


def set_size(fd: int, rows: int, cols: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def own_terminal() -> None:
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Terminal:
    """A command on a pseudo-terminal of this test's, as a user's terminal would run it."""

    def __init__(self, argv, env, cwd, rows=30, cols=100):
        self.master, slave = os.openpty()
        set_size(slave, rows, cols)
        self.proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=slave, stdout=slave, stderr=slave,
                                     preexec_fn=own_terminal)
        os.close(slave)
        self.seen = b""

    def expect(self, token: bytes, timeout=120.0) -> None:
        deadline = time.monotonic() + timeout
        while token not in self.seen and time.monotonic() < deadline:
            if select.select([self.master], [], [], 0.2)[0]:
                try:
                    self.seen += os.read(self.master, 65536)
                except OSError:   # the command ended and closed its end
                    break
        assert token in self.seen, self.seen.decode(errors="replace")

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())


def test_a_shell_in_a_functions_new_container_on_a_terminal_that_follows_this_ones_size(cluster_processes, tmp_path):
    (tmp_path / "shelled.py").write_text(APP)
    term = Terminal(leveret_cmd("shell", "shelled.py::f"), cluster_processes["env"], tmp_path)
    try:
        term.expect(b"starting a container for f")
        term.type("stty size; tty; echo secret=$SHELL_SECRET; echo $((6*7))x\n")
        term.expect(b"42x")
        assert b"30 100" in term.seen and b"/dev/pts/" in term.seen and b"secret=s3cret" in term.seen
        set_size(term.master, 40, 120)   # this terminal's window changes: SIGWINCH to the client
        time.sleep(0.5)
        term.type("stty size; exit 3\n")
        term.expect(b"40 120")
        assert term.proc.wait(30) == 3
    finally:
        term.proc.kill()
    apps = subprocess.run(leveret_cmd("app", "list"), env=cluster_processes["env"], capture_output=True, text=True,
                          timeout=60).stdout
    assert apps.startswith("no apps running")   # the app the shell ran stopped with it


def test_piped_input_without_a_terminal_and_a_shell_in_a_running_container(cluster_processes, tmp_path):
    env = cluster_processes["env"]
    (tmp_path / "shelled.py").write_text(APP)
    piped = subprocess.run(leveret_cmd("shell", "shelled.py::f"), env=env, cwd=tmp_path, capture_output=True,
                           text=True, timeout=300, input="test -t 0 || echo no-tty; echo $SHELL_SECRET; exit 5\n")
    assert piped.returncode == 5, piped.stderr
    assert piped.stdout == "no-tty\ns3cret\n"

    own = subprocess.run(leveret_cmd("shell"), env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300,
                         input="python3 -c 'print(6 * 7)'\n")   # no app: a container of its own (debian_slim)
    assert (own.returncode, own.stdout) == (0, "42\n"), own.stderr

    deploy = subprocess.run(leveret_cmd("deploy", "shelled.py"), env=env, cwd=tmp_path, capture_output=True, text=True,
                            timeout=300)
    assert deploy.returncode == 0, deploy.stderr
    ct = ""
    for _ in range(600):   # min_containers=1: one starts
        listed = subprocess.run(leveret_cmd("container", "list", "shelled"), env=env, capture_output=True, text=True,
                                timeout=60).stdout
        ct = next((line.split()[0] for line in listed.splitlines() if line.startswith("ct-") and " ready " in line), "")
        if ct:
            break
        time.sleep(0.2)
    fed = subprocess.run(leveret_cmd("container", "exec", "-i", ct, "--", "sh", "-c", "read x; echo got $x"), env=env,
                         capture_output=True, text=True, timeout=60, input="hello\n")
    assert (fed.returncode, fed.stdout) == (0, "got hello\n"), fed.stderr
    by_id = subprocess.run(leveret_cmd("shell", ct, "--cmd", "sh -c 'echo in $0; exit 4' shell"), env=env,
                           capture_output=True, text=True, timeout=60, input="")
    assert (by_id.returncode, by_id.stdout) == (4, "in shell\n"), by_id.stderr
    no_tty = subprocess.run(leveret_cmd("container", "exec", "-it", ct, "--", "sh"), env=env, capture_output=True,
                            text=True, timeout=60, input="")
    assert no_tty.returncode == 2 and "-t needs this command's stdin to be a terminal" in no_tty.stderr
