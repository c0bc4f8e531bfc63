"""`leveret server --tls-cert/--tls-key`, `leveret worker --ca` and a client with LEVERET_CA, as real
processes: examples/hello.py runs over TLS end to end; a worker that does not trust the CA says so."""

import os
import re
import subprocess

import pytest

from certs import ca_and_server_cert
from procs import ROOT, TOKEN, Procs, clean_env, free_port, leveret_cmd

pytestmark = pytest.mark.e2e


def test_hello_runs_over_tls_with_a_ca_of_ones_own(tmp_path):
    ca, cert, key = ca_and_server_cert(tmp_path)
    procs = Procs(tmp_path)
    try:
        port = free_port()
        _, server_log = procs.start("server", "--listen", f"127.0.0.1:{port}", "--db", f"sqlite:///{tmp_path}/state.db",
                                    "--token", TOKEN, "--http", "127.0.0.1:0", "--gateway", "127.0.0.1:0",
                                    "--tls-cert", cert, "--tls-key", key)
        found = server_log.wait_for_line(r"listening on (https://\S+) .*metrics at (https://\S+)/metrics")
        url = found.group(1)
        assert "--ca CA_FILE" in server_log.wait_for_line("join a worker").string

        _, refused = procs.start("worker", "--server", url, "--token", TOKEN, "--workdir", str(tmp_path / "w0"),
                                 "--runtime", "process")
        refused.wait_for_line(r"cannot speak TLS with the server at https://.*CERTIFICATE_VERIFY_FAILED", timeout=60)
        procs.procs[-1].kill()

        _, worker_log = procs.start("worker", "--server", url, "--token", TOKEN, "--workdir", str(tmp_path / "w1"),
                                    "--ca", ca)
        worker_log.wait_for_line("runtime")
        env = clean_env(tmp_path / "home", LEVERET_SERVER_URL=url, LEVERET_TOKEN=TOKEN, LEVERET_CA=ca)
        done = subprocess.run(leveret_cmd("run", os.path.join(ROOT, "examples", "hello.py")), env=env,
                              capture_output=True, text=True, timeout=120, cwd=ROOT)
        assert done.returncode == 0, done.stderr
        assert "9" in done.stdout.splitlines() and "285" in done.stdout.splitlines()
        assert re.search(r"^leveret: ✓ app hello \(ap-\w+\) completed", done.stderr, re.M), done.stderr
    finally:
        procs.stop()
