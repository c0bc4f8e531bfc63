"""Finding: killing the embedded daemon during an ephemeral run lost the run's acknowledged work: of
1,000 spawned inputs, 700 failed with "its app was stopped first" and 8 executions never delivered
their result, although the client was alive. Now the client starts the daemon again, the new daemon
restores the run, and every spawned input's result arrives, once."""

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from e2e.procs import ROOT, LineLog, clean_env, leveret_cmd

pytestmark = pytest.mark.e2e

CLIENT = textwrap.dedent("""
    import sys
    sys.path.insert(0, sys.argv[1])
    from apps import restart as r

    with r.app.run(show_logs=False):
        calls = [r.sleep_then_square.spawn(i, 0.1) for i in range(1000)]   # about 12 s of work: the kill lands mid-run
        print("spawned", flush=True)
        results = [c.get(timeout=180) for c in calls]
        assert results == [i * i for i in range(1000)], results
    print("every result arrived", flush=True)
""")


def test_every_spawned_input_of_a_run_survives_a_killed_daemon(tmp_path):
    home = tmp_path / "home"
    env = clean_env(home)
    client = subprocess.Popen([sys.executable, "-c", CLIENT, os.path.join(ROOT, "tests")], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out = LineLog(client.stdout)
        out.wait_for_line("spawned", timeout=180)
        with open(home / "daemon.json") as f:
            daemon = json.load(f)
        os.kill(daemon["pid"], signal.SIGKILL)
        assert client.wait(300) == 0, client.stderr.read()[-3000:]
        out.wait_for_line("every result arrived")
        err = client.stderr.read()
        assert "leveret: lost the server at" in err and "leveret: reconnected to" in err, err
        with open(home / "daemon.json") as f:
            assert json.load(f)["pid"] != daemon["pid"]   # a new daemon, which the client started
    finally:
        if client.poll() is None:
            client.kill()
            client.wait(10)
        client.stderr.close()
        subprocess.run(leveret_cmd("server", "stop"), env=env, capture_output=True, timeout=60)
