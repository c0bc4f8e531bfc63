"""Finding: a result over 256 MiB killed the worker ("INTERNAL: Internal error from Core"), the
server took it for a lost worker and requeued the input, and it killed every worker that picked it
up; a 300 MB argument failed with a raw gRPC RESOURCE_EXHAUSTED. Now payloads over 2 MiB travel as
blobs, streamed in chunks: a 1 GiB result goes through a real client, server and worker (and a
crun container) with each process under 1.5 GiB of resident memory at its peak."""

import os
import subprocess
import sys
import textwrap

import pytest

from e2e.procs import ROOT, TOKEN

pytestmark = pytest.mark.e2e

GiB = 1 << 30

CLIENT = textwrap.dedent("""
    import sys
    sys.path.insert(0, sys.argv[1])
    from apps import payloads as p

    with p.app.run(show_logs=False):
        result = p.make.remote(1 << 30)
        assert len(result) == 1 << 30 and result[:1] == result[-1:] == b"x", len(result)
        del result
        assert p.size.remote(b"\\0" * (300 << 20)) == 300 << 20
    print("peak", open("/proc/self/status").read().split("VmHWM:")[1].split()[0])
""")


def peak_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        return int(f.read().split("VmHWM:")[1].split()[0])


def test_a_1_gib_result_and_a_300_mb_argument_keep_every_process_under_1_5_gib(procs, tmp_path):
    worker, log = procs.worker(tmp_path / "worker", "--warm-containers", "0")
    log.wait_for_line("registered as")
    env = {**procs.env, "LEVERET_SERVER_URL": procs.url, "LEVERET_TOKEN": TOKEN}
    done = subprocess.run([sys.executable, "-c", CLIENT, os.path.join(ROOT, "tests")], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    client_kib = int(done.stdout.split("peak")[1])
    server_kib, worker_kib = peak_kib(procs.procs[0].pid), peak_kib(worker.pid)
    limit = 1.5 * GiB / 1024
    assert client_kib < limit and server_kib < limit and worker_kib < limit, (client_kib, server_kib, worker_kib)
    assert worker.poll() is None   # the worker served it, and serves on
    print(f"peak resident memory: client {client_kib >> 10} MiB, server {server_kib >> 10} MiB, worker {worker_kib >> 10} MiB")
