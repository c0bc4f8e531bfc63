"""The CLI against real server and worker processes, and the embedded daemon."""

import json
import os
import re
import signal
import stat
import subprocess
import sys
import time

import pytest

from procs import APPS, ROOT, clean_env, leveret_cmd, wait_for_line
from _scrape import get, samples

pytestmark = pytest.mark.e2e

HELLO = os.path.join(ROOT, "examples", "hello.py")
ENTRY = os.path.join(APPS, "entry.py")


def run(args, env, timeout=60):
    return subprocess.run(leveret_cmd(*args), env=env, capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def test_hello_runs_on_a_cluster_and_streams_attributed_prints(cluster_processes):
    # as root with crun installed (as in CI), the default runtime isolates; elsewhere it says it does not
    expected = "runtime crun (cgroup" if os.geteuid() == 0 else "runtime process (no isolation)"
    assert expected in cluster_processes["worker_banner"]
    disk = "container disk: ext4 on a loop device per container" if os.geteuid() == 0 else "container disk: unbounded"
    assert disk in cluster_processes["worker_banner"]
    done = run(["run", HELLO, "--n", "100"], cluster_processes["env"])
    assert done.returncode == 0, done.stderr
    out = done.stdout.splitlines()
    assert "9" in out and str(sum(i * i for i in range(100))) in out and "25" in out
    squaring = [line for line in out if "squaring" in line]
    assert len(squaring) == 102
    assert all(line.startswith("[square ct-") for line in squaring)
    err = done.stderr.splitlines()   # not a terminal: plain lines for what was made and how it ended
    assert any(re.fullmatch(r"leveret: created app hello \(ap-\w+\)", line) for line in err), err
    assert any(line.startswith("leveret: square.map: 100 result(s) in ") for line in err), err
    assert re.search(r"^leveret: ✓ app hello \(ap-\w+\) completed in [\d.]+ s$", done.stderr, re.M), err


def test_logs_prints_stored_lines(cluster_processes):
    env = cluster_processes["env"]
    assert run(["run", HELLO, "--n", "3"], env).returncode == 0
    done = run(["logs", "hello"], env)
    assert done.returncode == 0, done.stderr
    assert {"squaring 0", "squaring 1", "squaring 2", "squaring 5"} <= {
        line.split("] ", 1)[1] for line in done.stdout.splitlines()}


def test_logs_filters_tail_and_timestamps(cluster_processes):
    env = cluster_processes["env"]
    assert run(["run", HELLO, "--n", "3"], env).returncode == 0
    done = run(["logs", "hello", "--function", "square", "--search", "squaring", "--since", "10m", "--tail", "2",
                "--timestamps"], env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 2 and all(" [square ct-" in line and "squaring" in line for line in lines), lines
    assert all(line[:4].isdigit() and line[10] == "T" for line in lines)   # 2026-11-28T10:00:00.123
    assert run(["logs", "hello", "--since", "2999-01-01"], env).stdout == ""


def test_logs_refuses_a_bad_since_naming_the_forms(cluster_processes):
    done = run(["logs", "hello", "--since", "yesterday"], cluster_processes["env"])
    assert done.returncode == 2
    assert "'yesterday': give a duration back from now (a number and a unit: 30s, 30m, 1h" in done.stderr
    assert "2026-11-28T10:00" in done.stderr


def test_logs_of_unknown_app(cluster_processes):
    done = run(["logs", "no-such-app"], cluster_processes["env"])
    assert done.returncode == 1 and "no app named 'no-such-app'" in done.stderr


def test_entrypoint_parameters_become_options(cluster_processes):
    env = cluster_processes["env"]
    done = run(["run", f"{ENTRY}::main", "--name", "ada", "--times", "1", "--loud", "--ratio", "2.5"], env)
    assert done.returncode == 0, done.stderr
    assert "HELLO ADA 2.5" in done.stdout
    done = run(["run", f"{ENTRY}::main", "--name", "bo", "--no-loud"], env)
    assert "hello bo hello bo 0.5" in done.stdout
    done = run(["run", f"{ENTRY}::main"], env)
    assert done.returncode == 2 and "--name" in done.stderr


def test_run_a_function_directly(cluster_processes):
    done = run(["run", f"{ENTRY}::greet", "--name", "cy", "--times", "2"], cluster_processes["env"])
    assert done.returncode == 0, done.stderr
    assert "'hello cy hello cy'" in done.stdout


def test_run_names_the_choices_when_ambiguous(cluster_processes):
    done = run(["run", ENTRY], cluster_processes["env"])
    assert done.returncode == 1 and "pick one with" in done.stderr and "live" in done.stderr


def test_remote_prints_arrive_while_the_function_runs(cluster_processes):
    proc = subprocess.Popen(leveret_cmd("run", f"{ENTRY}::live"), env=cluster_processes["env"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    with proc:
        wait_for_line(proc, "tick 1")
        first = time.monotonic()
        wait_for_line(proc, "result ticked")
        assert time.monotonic() - first > 1.0  # tick 1 was shown before the function returned


def test_ctrl_c_cancels_outstanding_inputs(cluster_processes):
    with subprocess.Popen(leveret_cmd("run", f"{ENTRY}::slow"), env=cluster_processes["env"], cwd=ROOT,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        wait_for_line(proc, "got 0")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert "interrupted; cancelled" in err
    cancelled = int(err.split("cancelled ")[1].split()[0])
    assert 0 < cancelled < 200


def test_unreachable_server_is_one_line(home):
    env = clean_env(home, LEVERET_SERVER_URL="http://127.0.0.1:1", LEVERET_TOKEN="x")
    done = run(["run", HELLO], env)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "Error: cannot reach a Leveret server at http://127.0.0.1:1: start one with `leveret server start`"
        " (or point LEVERET_SERVER_URL at a running server)"]


def test_embedded_daemon_starts_on_first_run_and_stops(home):
    env = clean_env(home)
    try:
        done = run(["run", HELLO, "--n", "10"], env)
        assert done.returncode == 0, done.stderr
        assert "285" in done.stdout.splitlines()
        assert stat.S_IMODE(os.stat(home / "token").st_mode) == 0o600
        status = run(["server", "status"], env)
        assert status.returncode == 0 and "running" in status.stdout
        again = run(["run", HELLO, "--n", "2"], env)  # reuses the running daemon
        assert again.returncode == 0 and "1" in again.stdout.splitlines()
        daemon, token = json.loads((home / "daemon.json").read_text()), (home / "token").read_text().strip()
        assert "/metrics" in status.stdout
        assert get(daemon["http_url"] + "/healthz")[0] == 200
        status_code, _, text = get(daemon["http_url"] + "/metrics", token)
        assert status_code == 200
        completed = sum(v for (name, labels), v in samples(text).items() if name == "leveret_inputs_completed_total")
        assert completed == 16   # hello: remote + map(n) + spawn, n = 10, then 2
        status_code, _, text = get(daemon["worker_metrics_url"] + "/metrics", token)
        assert status_code == 200 and "leveret_worker_containers_running" in text
        link = run(["dashboard", "--no-open"], env)   # the dashboard's login link, which a browser follows
        assert link.returncode == 0 and link.stdout.strip().startswith(daemon["http_url"] + "/login?code=")
        import http.cookiejar
        import urllib.request

        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        with browser.open(link.stdout.strip(), timeout=10) as page:   # logs in, lands on the page
            assert page.status == 200 and "<title>Leveret</title>" in page.read().decode()
        with browser.open(daemon["http_url"] + "/api/apps?all=1", timeout=10) as apps:   # the cookie is the token
            assert any(a["name"] == "hello" for a in json.loads(apps.read()))
    finally:
        stopped = run(["server", "stop"], env)
    assert "stopped" in stopped.stdout
    status = run(["server", "status"], env)
    assert status.returncode == 3 and "not running" in status.stdout


def test_generated_stubs_are_current():
    done = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gen_proto.py"), "--check"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_verbose_run_shows_cold_start_phases(cluster_processes):
    done = run(["run", "--verbose", HELLO, "--n", "2"], cluster_processes["env"])
    assert done.returncode == 0, done.stderr
    [line] = [ln for ln in done.stderr.splitlines() if "cold start" in ln]
    for phase in ("schedule", "code", "imports", "first input"):   # a warm container skips the start phases
        assert phase in line
    quiet = run(["run", HELLO, "--n", "2"], cluster_processes["env"])
    assert "cold start" not in quiet.stderr


def test_run_a_module_path_and_with_dash_m(cluster_processes):
    env = cluster_processes["env"]
    for args in (["run", "apps.entry::greet", "--name", "mo"], ["run", "-m", "apps.entry::greet", "--name", "mo"]):
        done = subprocess.run(leveret_cmd(*args), env=env, capture_output=True, text=True, timeout=60,
                              cwd=os.path.dirname(APPS))
        assert done.returncode == 0, done.stderr
        assert "'hello mo'" in done.stdout
    done = subprocess.run(leveret_cmd("run", "-m", "apps.nowhere"), env=env, capture_output=True, text=True,
                          timeout=60, cwd=os.path.dirname(APPS))
    assert done.returncode == 1 and "cannot import apps.nowhere" in done.stderr


def test_a_detached_run_outlives_its_client_and_app_logs_and_stop_reach_it(cluster_processes):
    env = cluster_processes["env"]
    done = run(["run", "--detach", "-i", f"{ENTRY}::fire_and_forget", "--seconds", "3"], env)
    assert done.returncode == 0, done.stderr
    app_id = re.search(r"app \S+ \((ap-[0-9a-f]+)\) runs on detached", done.stderr).group(1)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:   # the spawned call finishes after its client has gone
        logs = run(["app", "logs", app_id], env)
        if "LATER DONE" in logs.stdout:
            break
        time.sleep(0.5)
    assert "LATER DONE" in logs.stdout, logs.stdout + logs.stderr
    stopped = run(["app", "stop", app_id], env)
    assert stopped.returncode == 0 and f"stopped entry ({app_id})" in stopped.stdout, stopped.stderr
