"""Real `leveret server` and `leveret worker` processes for a benchmark, in a home of their own."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "e2e"))

from procs import free_port, leveret_cmd, wait_for_line  # noqa: E402


@contextlib.contextmanager
def server_and_worker(*worker_args: str):
    """Start both; the SDK in this process is pointed at the server. Yields the home directory."""
    home = tempfile.mkdtemp(prefix="lv-bench-")
    port, token = free_port(), "bench-token"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEVERET_")}
    env.update(LEVERET_HOME=home)
    server = subprocess.Popen(leveret_cmd("server", "--listen", f"127.0.0.1:{port}", "--db", f"sqlite:///{home}/state.db",
                                          "--token", token, "--http", "127.0.0.1:0", "--gateway", "127.0.0.1:0"), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    worker = None
    try:
        wait_for_line(server, "listening on")
        worker = subprocess.Popen(leveret_cmd("worker", "--server", f"http://127.0.0.1:{port}", "--token", token,
                                              "--workdir", f"{home}/worker", *worker_args),
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        wait_for_line(worker, "runtime")
        os.environ.update(LEVERET_SERVER_URL=f"http://127.0.0.1:{port}", LEVERET_TOKEN=token)
        from leveret import _client

        _client.reset()   # the process's client follows the environment to this server
        yield home
    finally:
        for p in (worker, server):
            if p is not None:
                p.send_signal(signal.SIGTERM)
                p.wait(15)
        shutil.rmtree(home, ignore_errors=True)
