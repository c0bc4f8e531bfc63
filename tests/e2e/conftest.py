import signal
import subprocess
import threading

import pytest
from procs import clean_env, free_port, leveret_cmd, wait_for_line


@pytest.fixture
def home(tmp_path):
    return tmp_path / "home"


@pytest.fixture
def cluster_processes(tmp_path, home):
    """`leveret server --listen` and `leveret worker` as real processes; yields the client env."""
    port, token = free_port(), "e2e-token-123"
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        leveret_cmd("server", "--listen", f"127.0.0.1:{port}", "--db", f"sqlite:///{tmp_path}/state.db", "--token", token,
                    "--http", "127.0.0.1:0", "--gateway", "127.0.0.1:0"),   # not port + 1, + 2: another test's free port may be that
        env=clean_env(home), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    procs = [server]
    try:
        wait_for_line(server, "listening on")
        worker = subprocess.Popen(
            leveret_cmd("worker", "--server", url, "--token", token, "--workdir", str(tmp_path / "worker")),
            env=clean_env(home), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        procs.append(worker)
        banner = wait_for_line(worker, "runtime")
        for p in procs:  # keep their pipes drained so their logging never blocks
            threading.Thread(target=p.stdout.read, daemon=True).start()
        yield {"env": clean_env(home, LEVERET_SERVER_URL=url, LEVERET_TOKEN=token), "worker_banner": "".join(banner)}
    finally:
        for p in reversed(procs):
            p.send_signal(signal.SIGTERM)
        for p in reversed(procs):
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            p.stdout.close()
