"""A command run in a container for a client (worker/execs.py), on the process runtime: its output
and exit code come back; its stdin, sent early or late, reaches it; on a terminal it sees one of
the size asked, resized when told; cancelled, it is killed."""

import asyncio
import os
import types

import pytest

from leveret.worker import model as m
from leveret.worker.execs import ExecSession
from leveret.worker.runtime.process import ProcessHandle, ProcessRuntime


def handle(tmp_path):
    return ProcessHandle("ct-1", types.SimpleNamespace(stdout=None, stderr=None, stdin=None), str(tmp_path), dict(os.environ))


def session(argv, **kw):
    sent = []
    return ExecSession(m.Exec("ex-1", "ct-1", argv, **kw), lambda **f: sent.append(f)), sent


def output(sent, stream=1) -> bytes:
    return b"".join(f.get("data", b"") for f in sent if f.get("stream") == stream)


def gone_or_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rpartition(")")[2].split()[0] == "Z"
    except OSError:   # gone (between the open and the read too: ESRCH)
        return True


async def until(predicate, timeout=10.0):
    for _ in range(int(timeout / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("timed out")


def test_pipes_carry_stdin_given_before_and_after_the_start_and_its_end(tmp_path):
    async def go():
        s, sent = session(["sh", "-c", "read a; read b; echo got $a $b; echo err >&2; cat; exit 7"], interactive=True,
                          env={"X": "1"})
        s.feed(m.ExecInput("ex-1", b"early\n"))   # before the command exists: it waits for it
        task = asyncio.ensure_future(s.run(ProcessRuntime(), handle(tmp_path)))
        await asyncio.sleep(0.2)
        s.feed(m.ExecInput("ex-1", b"late\nrest"))
        s.feed(m.ExecInput("ex-1", eof=True))
        await asyncio.wait_for(task, 10)
        return sent

    sent = asyncio.run(go())
    assert output(sent) == b"got early late\nrest" and output(sent, 2) == b"err\n"
    assert sent[-1] == {"done": True, "exit_code": 7}


def test_a_terminal_of_the_size_asked_resized_when_told_with_the_environment_given(tmp_path):
    async def go():
        s, sent = session(["sh", "-c", "stty size; test -t 0 && echo TTY $TERM; read line; stty size; exit 3"],
                          tty=True, rows=30, cols=100, env={"TERM": "xterm-test"})
        task = asyncio.ensure_future(s.run(ProcessRuntime(), handle(tmp_path)))
        await until(lambda: b"TTY" in output(sent))
        s.feed(m.ExecInput("ex-1", rows=40, cols=120))
        s.feed(m.ExecInput("ex-1", b"go\n"))
        await asyncio.wait_for(task, 10)
        return sent

    sent = asyncio.run(go())
    text = output(sent).replace(b"\r\n", b"\n")
    assert text.startswith(b"30 100\nTTY xterm-test\n") and text.endswith(b"go\n40 120\n")
    assert not output(sent, 2) and sent[-1] == {"done": True, "exit_code": 3}


def test_cancelled_the_command_is_killed_and_a_missing_one_is_an_error(tmp_path):
    async def go():
        s, sent = session(["sh", "-c", "echo $$; sleep 60"], tty=True)
        s.task = asyncio.ensure_future(s.run(ProcessRuntime(), handle(tmp_path)))
        await until(lambda: output(sent).strip())
        pid = int(output(sent).strip())
        s.task.cancel()
        await asyncio.gather(s.task, return_exceptions=True)
        await until(lambda: gone_or_zombie(pid))
        missing, said = session(["/no/such/command"])
        await missing.run(ProcessRuntime(), handle(tmp_path))
        gone, told = session(["true"])
        await gone.run(ProcessRuntime(), None)
        return sent, said, told

    sent, said, told = asyncio.run(go())
    assert not any(f.get("done") for f in sent)   # the client went away: nobody to tell
    assert said[-1]["done"] and said[-1]["exit_code"] == -1 and "could not run '/no/such/command'" in said[-1]["error"]
    assert told[-1]["error"] == "container ct-1 is not running on this worker"


@pytest.mark.parametrize("tty", [False, True], ids=["pipes", "tty"])
def test_output_past_the_window_waits_for_its_client_to_take_it(tmp_path, tty):
    """A command that writes faster than its client reads: at most EXEC_WINDOW (and a piece) is
    sent beyond what the client took; each ack lets more go, and all of it arrives in order."""
    from leveret._shared.containers import EXEC_WINDOW

    total = 3 * EXEC_WINDOW

    async def go():
        s, sent = session(["sh", "-c", f"head -c {total} /dev/zero; echo; echo done >&2"], tty=tty, rows=24, cols=80)
        task = asyncio.ensure_future(s.run(ProcessRuntime(), handle(tmp_path)))
        await until(lambda: len(output(sent)) >= EXEC_WINDOW)
        await asyncio.sleep(0.3)   # it would send more now if it could
        held = len(output(sent))
        assert EXEC_WINDOW <= held <= EXEC_WINDOW + 2 * 64 * 1024 and not task.done()
        acked = 0
        while not task.done():   # the client takes all that came, each time
            taken = sum(len(f.get("data", b"")) for f in sent)
            if taken > acked:
                s.feed(m.ExecInput("ex-1", ack=taken - acked))
                acked = taken
            await asyncio.sleep(0.01)
        return sent

    sent = asyncio.run(go())
    if tty:   # one stream, as the terminal wrote it (its newlines as CR LF)
        assert output(sent) == b"\0" * total + b"\r\ndone\r\n"
    else:
        assert output(sent) == b"\0" * total + b"\n" and output(sent, 2) == b"done\n"   # byte for byte
    assert sent[-1] == {"done": True, "exit_code": 0}
