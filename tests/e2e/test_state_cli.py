"""`leveret secret create | list | delete | rotate-key` against real server and worker processes:
values go in, reach the function, and never come out (CLI output, logs, the database file); and
`leveret dict create | list | items | get | clear | delete`; `leveret queue create | list | peek | len |
clear | delete`; `leveret volume create | list | ls | put | get | rm | cp | delete`."""

import glob
import hashlib
import json
import os
import subprocess
import sys

import pytest

from procs import APPS, ROOT, leveret_cmd

pytestmark = pytest.mark.e2e

APP = os.path.join(APPS, "secret_user.py")
VALUE = "cli-value-7f3a9c1e"


def run(args, env, timeout=60):
    return subprocess.run(leveret_cmd(*args), env=env, capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def run_ok(args, env) -> str:
    done = run(args, env)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_secret_cli_round_trip(cluster_processes, tmp_path):
    env = cluster_processes["env"]
    outputs = []

    def ok(*args):
        done = run(list(args), env)
        outputs.append(done.stdout + done.stderr)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    missing = run(["run", APP], env)
    assert missing.returncode != 0 and "no Secret named 'cli-secret'" in missing.stderr
    assert "leveret secret create cli-secret KEY=value" in missing.stderr
    assert "created secret cli-secret (st-" in ok("secret", "create", "cli-secret", f"API_KEY={VALUE}", "OTHER=x")
    again = run(["secret", "create", "cli-secret", "API_KEY=y"], env)
    assert again.returncode != 0 and "--force" in again.stderr
    assert "cli-secret" in ok("secret", "list") and "API_KEY, OTHER" in ok("secret", "list")
    [row] = [json.loads(line) for line in ok("secret", "list", "--json").splitlines()]
    assert row["name"] == "cli-secret" and row["keys"] == ["API_KEY", "OTHER"]
    out = ok("run", APP)
    assert f"digest {hashlib.sha256(VALUE.encode()).hexdigest()}" in out
    dotenv = tmp_path / ".env"
    dotenv.write_text(f"API_KEY={VALUE}\nFROM_FILE=1\n")
    as_json = tmp_path / "more.json"
    as_json.write_text(json.dumps({"FROM_JSON": "2"}))
    assert "updated secret cli-secret" in ok("secret", "create", "cli-secret", "--from-dotenv", str(dotenv),
                                             "--from-json", str(as_json), "--force")
    assert "API_KEY, FROM_FILE, FROM_JSON" in ok("secret", "list")
    assert "secret(s) encrypted again under key" in ok("secret", "rotate-key")
    assert f"digest {hashlib.sha256(b'1').hexdigest()}" in ok("run", APP, "--name", "FROM_FILE")
    assert "deleted secret cli-secret" in ok("secret", "delete", "cli-secret", "--yes")
    assert "no secrets" in ok("secret", "list")
    for text in outputs + [missing.stdout + missing.stderr, ok("logs", "secret-user")]:
        assert VALUE not in text
    stored = b""
    for path in glob.glob(str(tmp_path / "state.db*")):
        with open(path, "rb") as f:
            stored += f.read()
    assert stored and VALUE.encode() not in stored


def test_dict_cli(cluster_processes):
    env = cluster_processes["env"]

    def ok(*args):
        return run_ok(list(args), env)

    assert "created Dict shared" in ok("dict", "create", "shared")
    again = run(["dict", "create", "shared"], env)
    assert again.returncode != 0 and "already exists" in again.stderr
    fill = ("import leveret; d = leveret.Dict.from_name('shared'); d['greeting'] = 'hello';"
            " d.update({str(i): i for i in range(30)})")
    done = subprocess.run([sys.executable, "-c", fill], env=env, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "shared" in ok("dict", "list")
    assert ok("dict", "get", "shared", "greeting").strip() == "'hello'"
    missing = run(["dict", "get", "shared", "nope"], env)
    assert missing.returncode != 0 and "has no key 'nope'" in missing.stderr
    listed = ok("dict", "items", "shared", "-n", "5")
    assert len(listed.splitlines()) == 6 and "… and 26 more" in listed
    as_json = [json.loads(line) for line in ok("dict", "items", "shared", "-n", "0", "--json").splitlines()]
    assert {"key": "greeting", "value": "hello"} in as_json and len(as_json) == 31
    assert "cleared Dict shared" in ok("dict", "clear", "shared", "--yes")
    assert ok("dict", "items", "shared") == ""
    assert "deleted Dict shared" in ok("dict", "delete", "shared", "--yes")
    gone = run(["dict", "get", "shared", "greeting"], env)
    assert gone.returncode != 0 and "no Dict named 'shared'" in gone.stderr


def test_queue_cli(cluster_processes):
    env = cluster_processes["env"]

    def ok(*args):
        return run_ok(list(args), env)

    assert "created Queue jobs" in ok("queue", "create", "jobs")
    again = run(["queue", "create", "jobs"], env)
    assert again.returncode != 0 and "already exists" in again.stderr
    fill = ("import leveret; q = leveret.Queue.from_name('jobs'); q.put_many(['a', 'b', 'c']);"
            " q.put_many([1, 2], partition='p2')")
    done = subprocess.run([sys.executable, "-c", fill], env=env, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    listed = ok("queue", "list")
    assert "jobs" in listed and "5 values" in listed
    assert ok("queue", "peek", "jobs").splitlines() == ["'a'"]
    assert ok("queue", "peek", "jobs", "5").splitlines() == ["'a'", "'b'", "'c'"]
    assert ok("queue", "peek", "jobs", "--partition", "p2", "2").splitlines() == ["1", "2"]
    assert ok("queue", "peek", "jobs", "5", "--json").splitlines() == ['"a"', '"b"', '"c"']
    assert ok("queue", "len", "jobs").strip() == "3"
    assert ok("queue", "len", "jobs", "--total").strip() == "5"
    assert "cleared the default partition of Queue jobs" in ok("queue", "clear", "jobs", "--yes")
    assert ok("queue", "len", "jobs", "--total").strip() == "2"
    assert "cleared every partition" in ok("queue", "clear", "jobs", "--all", "--yes")
    assert "Queue jobs is empty" in ok("queue", "peek", "jobs")
    assert "deleted Queue jobs" in ok("queue", "delete", "jobs", "--yes")
    gone = run(["queue", "len", "jobs"], env)
    assert gone.returncode != 0 and "no Queue named 'jobs'" in gone.stderr


def test_volume_cli(cluster_processes, tmp_path):
    env = cluster_processes["env"]

    def ok(*args):
        return run_ok(list(args), env)

    assert "created Volume models" in ok("volume", "create", "models")
    assert "models" in ok("volume", "list")
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text("alpha")
    (src / "sub" / "b.txt").write_text("beta")
    assert "uploaded 2 file(s)" in ok("volume", "put", "models", str(src), "/data")
    assert "uploaded 1 file(s)" in ok("volume", "put", "models", str(src / "a.txt"), "/single/")
    again = run(["volume", "put", "models", str(src / "a.txt"), "/single/"], env)
    assert again.returncode != 0 and "--force" in again.stderr
    listed = ok("volume", "ls", "models")
    assert "data/" in listed and "single/" in listed
    assert sorted(json.loads(line)["path"] for line in ok("volume", "ls", "models", "/data", "-r", "--json").splitlines()) \
        == ["data/a.txt", "data/sub", "data/sub/b.txt"]
    assert ok("volume", "get", "models", "/data/sub/b.txt", "-") == "beta"
    out = tmp_path / "out"
    out.mkdir()
    ok("volume", "get", "models", "/data", str(out))
    assert (out / "data" / "sub" / "b.txt").read_text() == "beta" and (out / "data" / "a.txt").read_text() == "alpha"
    ok("volume", "cp", "models", "/data/a.txt", "/single/copy.txt")
    assert ok("volume", "get", "models", "/single/copy.txt", "-") == "alpha"
    refused = run(["volume", "rm", "models", "/data"], env)
    assert refused.returncode != 0 and "recursive=True" in refused.stderr
    assert "removed /data" in ok("volume", "rm", "models", "/data", "-r")
    assert "data/" not in ok("volume", "ls", "models")
    assert "deleted Volume models" in ok("volume", "delete", "models", "--yes")
    gone = run(["volume", "ls", "models"], env)
    assert gone.returncode != 0 and "no Volume named 'models'" in gone.stderr
