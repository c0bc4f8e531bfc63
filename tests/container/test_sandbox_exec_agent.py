"""A crun sandbox's commands after its first start through its exec agent (worker/runtime/
exec_agent.py): the same streams, exit codes, stdin, environment, kill and timeout as through
`crun exec`; a command the agent cannot carry (a newline in it) and an agent the sandbox killed
fall back to `crun exec`, which starts the agent again; the agent's directory is read-only inside."""

import secrets
import signal
import time

import pytest

import leveret

pytestmark = pytest.mark.container

AGENTS = ("import os\n"   # agents: their command line's, started by `crun exec` (a parent outside: 0)
          "n = 0\n"
          "for p in filter(str.isdigit, os.listdir('/proc')):\n"
          "    try:\n"
          "        cmd, stat = open(f'/proc/{p}/cmdline', 'rb').read(), open(f'/proc/{p}/stat').read()\n"
          "    except OSError:\n"
          "        continue\n"
          "    n += b'agent' b'/ctl' in cmd and stat.rsplit(')', 1)[1].split()[1] == '0'\n"
          "print(n)\n")
PARENT = "tr '\\0' ' ' < /proc/$PPID/cmdline"
BINARY = ("import sys\n"
          "data = bytes(range(256)) * 4096 + b'\\n' + b'x' * (2 * 1024 * 1024) + b'\\n'\n"
          "for i in range(30):\n"
          "    sys.stdout.buffer.write(b'%d:' % i + data[:1000]); sys.stdout.flush()\n"
          "    sys.stderr.buffer.write(b'e%d\\n' % i); sys.stderr.flush()\n"
          "sys.stdout.buffer.write(data)\n")


@pytest.fixture(scope="module")
def crun(tmp_path_factory):
    from leveret.testing import Cluster

    with Cluster(tmp_path_factory.mktemp("exec-agent"), runtime="crun", max_containers=4) as c:
        yield c


@pytest.fixture(scope="module")
def sb(crun):
    app = leveret.App.lookup("exec-agent-" + secrets.token_hex(3), create_if_missing=True)
    sb = leveret.Sandbox.create(app=app, cpu=0.1)
    sb.wait_until_ready(timeout=60)
    _wait_for_agent(sb)
    yield sb
    sb.terminate()


def _agents(sb) -> int:
    p = sb.exec("python3", "-c", AGENTS)
    out = p.stdout.read()
    p.wait()
    return int(out.strip() or 0)


def _through_agent(sb) -> bool:
    p = sb.exec("sh", "-c", PARENT)
    parent = p.stdout.read()
    return p.wait() == 0 and "agent/ctl" in parent


def _wait_for_agent(sb) -> None:
    deadline = time.monotonic() + 20
    while _agents(sb) != 1:   # (the first exec starts it)
        assert time.monotonic() < deadline, f"the exec agent did not start: {_agents(sb)}"
        time.sleep(0.1)


def test_streams_stdin_and_exit_codes_through_the_agent(sb):
    p = sb.exec("sh", "-c", "cat; echo done >&2; exit 5")
    p.stdin.write(b"one\ntwo\n")
    p.stdin.write("three")
    p.stdin.write_eof()
    p.stdin.drain()
    assert list(p.stdout) == ["one\n", "two\n", "three"]
    assert p.stderr.read() == "done\n" and p.wait() == 5
    p = sb.exec("python3", "-c", BINARY, text=False)
    out, err = p.stdout.read(), p.stderr.read()
    data = bytes(range(256)) * 4096 + b"\n" + b"x" * (2 * 1024 * 1024) + b"\n"
    assert out == b"".join(b"%d:" % i + data[:1000] for i in range(30)) + data
    assert err == b"".join(b"e%d\n" % i for i in range(30)) and p.wait() == 0
    assert _agents(sb) == 1 and _through_agent(sb)


def test_workdir_environment_secrets_and_a_missing_command(sb):
    secret = leveret.Secret.from_dict({"API_KEY": "it's a $ecret"})
    p = sb.exec("sh", "-c", "pwd; echo \"$MODE\" \"$API_KEY\"; echo \"$1\"", "-", "a b 'c'", workdir="/tmp",
                env={"MODE": "test run"}, secrets=[secret])
    assert p.stdout.read() == "/tmp\ntest run it's a $ecret\na b 'c'\n" and p.wait() == 0
    p = sb.exec("no-such-command-here")
    assert p.wait() == 127
    p = sb.exec("ls", workdir="/no/such/dir")
    assert p.wait() != 0


def test_kill_and_timeout_reach_the_command(sb):
    slow = sb.exec("sleep", "60")
    t = time.monotonic()
    slow.kill(signal.SIGTERM)
    assert slow.wait() == -signal.SIGTERM and time.monotonic() - t < 10
    p = sb.exec("sleep", "60", timeout=1)
    assert p.wait() == -signal.SIGKILL and time.monotonic() - t < 15
    assert sb.poll() is None


def test_what_the_agent_cannot_carry_and_a_killed_agent_fall_back_to_crun_exec(sb):
    p = sb.exec("sh", "-c", "printf '%s' \"$1\"", "-", "two\nlines")
    assert p.stdout.read() == "two\nlines" and p.wait() == 0
    p = sb.exec("sh", "-c", "touch /opt/leveret/agent/x; mkfifo /opt/leveret/agent/ctl2")
    assert p.wait() != 0 and "Read-only file system" in p.stderr.read()
    p = sb.exec("python3", "-c", AGENTS.replace("n += ", "if ").replace("== '0'\n", "== '0': os.kill(int(p), 9)\n"))
    assert p.wait() == 0, p.stderr.read()
    assert not _through_agent(sb)   # (crun exec: which starts the agent again)
    _wait_for_agent(sb)
    assert _through_agent(sb)


def test_long_commands_and_many_at_once(sb):
    import concurrent.futures

    big = "v" * 20_000   # its line is longer than a FIFO takes at once
    p = sb.exec("sh", "-c", "printf '%s' \"$BIG\" | wc -c", env={"BIG": big})
    assert p.stdout.read().strip() == "20000" and p.wait() == 0

    def one(i):
        p = sb.exec("sh", "-c", f"echo {i}; echo e{i} >&2", env={"PAD": "p" * (i * 500)})
        return p.stdout.read(), p.stderr.read(), p.wait()

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        assert list(pool.map(one, range(16))) == [(f"{i}\n", f"e{i}\n", 0) for i in range(16)]
    assert _through_agent(sb)
