"""After a run ends: its functions, calls and stats are still there to look at (`leveret app describe`,
`function describe | stats | calls`, `call show`), each failure's traceback is stored with its
input and in the app's logs, and `leveret call replay` runs a failed input again — in a container,
or here."""

import os
import re
import subprocess
import sys

import pytest

APP = '''import leveret

app = leveret.App("postmortem-example")


@app.function(retries=leveret.Retries(max_retries=1, initial_delay=0.1))
def work(x):
    print(f"working on {x}")
    if x == 3:
        raise ValueError(f"x is {x}")
    return x * 2


@app.local_entrypoint()
def main():
    print(list(work.map(range(5), return_exceptions=True)))
'''


def leveret(*args, cwd=None, check=True):
    done = subprocess.run([sys.executable, "-m", "leveret.cli", *args], capture_output=True, text=True, timeout=120,
                          cwd=cwd, env={**os.environ, "LEVERET_TRACEBACK": ""})
    if check:
        assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done


@pytest.fixture(scope="module")
def finished(cluster, tmp_path_factory):
    """The app, run to its end (and so stopped): the directory of its file."""
    where = tmp_path_factory.mktemp("postmortem")
    (where / "example.py").write_text(APP)
    done = leveret("run", "-q", str(where / "example.py"))
    assert "ValueError('x is 3')" in done.stdout and "[0, 2, 4," in done.stdout
    return where


def test_a_stopped_runs_function_lists_its_inputs_with_status_attempt_and_error(finished):
    out = leveret("function", "calls", "postmortem-example", "work").stdout.splitlines()
    assert out[0].split()[:4] == ["INPUT", "CALL", "STATUS", "TRY"] and len(out) == 6, out
    rows = [line.split() for line in out[1:]]
    assert sorted(r[2] for r in rows) == ["failure"] + ["success"] * 4
    [failed] = [line for line in out[1:] if " failure " in line]
    assert failed.split()[3] == "2" and failed.endswith("ValueError: x is 3"), failed   # its second attempt's
    assert [line.split()[0] for line in leveret("function", "calls", "postmortem-example", "work",
                                                 "--failed").stdout.splitlines()[1:]] == [failed.split()[0]]
    assert leveret("function", "calls", "postmortem-example", "work", "--json").stdout.count('"status": "success"') == 4


def test_a_stopped_runs_stats_and_description_are_kept(finished):
    stats = leveret("function", "stats", "postmortem-example", "work").stdout
    assert "inputs:      5 (failure 1, success 4)" in stats, stats
    described = leveret("function", "describe", "postmortem-example", "work").stdout
    assert "app:        stopped" in described and "max_containers=" in described, described
    app = leveret("app", "describe", "postmortem-example").stdout
    assert "stopped" in app and re.search(r"work\s+5 input\(s\): failure 1, success 4", app), app


def test_call_show_gives_each_failed_inputs_traceback_at_its_frames(finished):
    call_id = leveret("function", "calls", "postmortem-example", "work").stdout.splitlines()[1].split()[1]
    shown = leveret("call", "show", call_id).stdout
    assert f"call {call_id} (map) of postmortem-example/work" in shown and "inputs: 5: failure 1, success 4" in shown
    # the retried first attempt, then the final one, each with its traceback at the function's frames
    assert re.search(r"    attempt 1: failure on ct-\S+ after \d+ ms: ValueError: x is 3 \(retried\)\n"
                     r"      Traceback \(most recent call last\):\n", shown), shown
    assert "    attempt 2: failure: ValueError: x is 3\n      Traceback (most recent call last):\n" in shown, shown
    assert len(re.findall(r'      {2}File ".*example\.py", line 10, in work\n {10}raise ValueError\(f"x is \{x\}"\)\n'
                          r"      ValueError: x is 3\n", shown)) == 2, shown
    assert "leveret/" not in shown and "run it again: leveret call replay in-" in shown


def test_the_traceback_is_in_the_apps_logs_each_attempts(finished):
    logs = leveret("logs", "postmortem-example").stdout + leveret("logs", "postmortem-example").stderr
    assert logs.count("Traceback (most recent call last):") == 2 and logs.count('raise ValueError(f"x is {x}")') == 2
    assert "failed (attempt 1 of 2): ValueError: x is 3; retrying" in logs


def failed_input(finished) -> str:
    out = leveret("function", "calls", "postmortem-example", "work", "--failed").stdout
    return out.splitlines()[1].split()[0]


def test_replay_runs_a_failed_input_again_in_a_container(finished):
    done = leveret("call", "replay", failed_input(finished), check=False)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "working on 3" in done.stdout and done.stderr.count("Traceback (most recent call last):") == 1
    assert done.stderr.endswith("ValueError: x is 3\n"), done.stderr


def test_replay_of_a_call_runs_its_failed_input_and_locally_too(finished):
    call_id = leveret("function", "calls", "postmortem-example", "work").stdout.splitlines()[1].split()[1]
    done = leveret("call", "replay", call_id, "--local", cwd=finished, check=False)
    assert done.returncode == 1 and "working on 3" in done.stdout, (done.stdout, done.stderr)
    assert f'File "{finished / "example.py"}", line 10, in work' in done.stderr and "ValueError: x is 3" in done.stderr


def test_replay_of_an_input_that_succeeded_prints_its_value(finished):
    out = leveret("function", "calls", "postmortem-example", "work").stdout.splitlines()[1:]
    ok = next(line.split()[0] for line in out if " success " in line)
    done = leveret("call", "replay", ok, "--local", cwd=finished)
    assert re.fullmatch(r"working on \d\n\d+\n", done.stdout), done.stdout


def test_unknown_ids_say_what_lists_the_kept_ones(finished):
    for args in (["call", "show", "fc-nothing"], ["call", "replay", "in-nothing"]):
        done = leveret(*args, check=False)
        assert done.returncode == 1 and "leveret function calls" in done.stderr, done.stderr
    done = leveret("function", "calls", "no-such-app", "work", check=False)
    assert done.returncode == 1 and "leveret app list --all" in done.stderr
