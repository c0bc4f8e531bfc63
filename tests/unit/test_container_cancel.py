"""Interrupting a cancelled input's code in its container (container/cancel.py): on the main thread
by a signal, on a @concurrent thread by an exception set for it, an async function by cancelling
its task; an input not started is skipped; a Cancel for one finished or unknown changes nothing.
The worker's side is played by a thread of the test calling ``cancels.cancel``, as the bootstrap's
thread reading the worker's frames does."""

import asyncio
import pickle
import signal
import threading
import time

import cloudpickle
import pytest

from leveret import _serialization as ser
from leveret.container import protocol as P
from leveret.container.batching import BatchedRunner
from leveret.container.cancel import Cancels, InputCancellation, cancellation_class
from leveret.container.runner import ConcurrentRunner
from leveret.exception import InputCancellation as SdkInputCancellation
from test_bootstrap import _bootstrap_script, h, outputs, pair  # noqa: F401  (h, pair: fixtures)


@pytest.fixture
def main_thread_signal(h):
    """Runners of ``h`` interrupt the main thread's code with SIGUSR1 (as serve_inputs installs it)."""
    before = signal.getsignal(signal.SIGUSR1)
    yield lambda runner: runner.cancels.install(h.channel)
    signal.signal(signal.SIGUSR1, before)


def _args(*args) -> bytes:
    return ser.serialize_args(args, {})


def cancel_when(started: threading.Event, cancels: Cancels, input_id: str) -> threading.Thread:
    """The worker's Cancel for ``input_id``, once its code has started."""
    def run():
        assert started.wait(5)
        assert cancels.cancel(input_id)

    t = threading.Thread(target=run)
    t.start()
    return t


def looping(started: threading.Event, seen: list):
    def fn(seconds):
        started.set()
        try:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                time.sleep(0.05)
        except BaseException as exc:
            seen.append(type(exc))
            raise
        return "finished"
    return fn


def test_the_sdks_class_is_raised_where_the_sdk_is_importable():
    assert cancellation_class() is SdkInputCancellation
    assert issubclass(SdkInputCancellation, BaseException) and not issubclass(SdkInputCancellation, Exception)
    assert InputCancellation.__name__ == "InputCancellation"   # the bootstrap's own, where it is not


def test_code_on_the_main_thread_is_interrupted_by_the_signal_and_ends_cancelled(h, main_thread_signal):
    started, seen = threading.Event(), []
    runner = h.runner(looping(started, seen))
    main_thread_signal(runner)
    runner.cancels.sent(["in-1"])
    t = cancel_when(started, runner.cancels, "in-1")
    began = time.monotonic()
    runner.run_one("in-1", 0, _args(60), last_in_batch=True)
    t.join()
    assert time.monotonic() - began < 5 and seen == [SdkInputCancellation]
    [out] = outputs(h.frames())
    assert (out[0], out[2], out[3]) == ("in-1", P.STATUS_CANCELLED, b"") and "InputCancellation" in out[5]


def test_a_sleep_on_the_main_thread_is_interrupted_at_once(h, main_thread_signal):
    started, seen = threading.Event(), []

    def sleeps():
        started.set()
        time.sleep(60)

    runner = h.runner(sleeps)
    main_thread_signal(runner)
    runner.cancels.sent(["in-1"])
    t = cancel_when(started, runner.cancels, "in-1")
    began = time.monotonic()
    runner.run_one("in-1", 0, _args(), last_in_batch=True)
    t.join()
    assert time.monotonic() - began < 5
    assert [o[2] for o in outputs(h.frames())] == [P.STATUS_CANCELLED]


def test_an_input_cancelled_before_its_turn_does_not_run(h):
    calls = []
    runner = h.runner(lambda: calls.append(1))
    runner.cancels.sent(["in-1", "in-2"])
    assert runner.cancels.cancel("in-1")
    runner.run_one("in-1", 0, _args(), last_in_batch=False)
    runner.run_one("in-2", 0, _args(), last_in_batch=True)
    assert calls == [1]   # only in-2 ran
    assert [(o[0], o[2]) for o in outputs(h.frames())] == [("in-1", P.STATUS_CANCELLED), ("in-2", P.STATUS_SUCCESS)]


def test_a_cancel_for_an_input_finished_or_unknown_is_ignored(h):
    runner = h.runner(lambda: "ok")
    runner.cancels.sent(["in-1"])
    runner.run_one("in-1", 0, _args(), last_in_batch=True)
    assert not runner.cancels.cancel("in-1") and not runner.cancels.cancel("in-unknown")
    runner.cancels.sent(["in-2"])
    runner.run_one("in-2", 0, _args(), last_in_batch=True)
    assert [o[2] for o in outputs(h.frames())] == [P.STATUS_SUCCESS, P.STATUS_SUCCESS]
    assert not runner.cancels.pending and not runner.cancels.cancelled


def test_the_signal_is_ignored_outside_the_inputs_code(h, main_thread_signal):
    runner = h.runner(lambda: "ok")
    main_thread_signal(runner)
    runner.cancels.sent(["in-1"])
    runner.cancels.cancel("in-1")
    signal.pthread_kill(threading.main_thread().ident, signal.SIGUSR1)   # between inputs: nothing raised here
    time.sleep(0.01)
    r = runner.cancels.start(("in-1",))
    signal.pthread_kill(threading.main_thread().ident, signal.SIGUSR1)   # not in its code: nothing raised either
    time.sleep(0.01)
    runner.cancels.end(r)


def test_a_generator_stops_and_ends_cancelled_after_the_items_it_yielded(h, main_thread_signal):
    started, closed = threading.Event(), []

    def gen():
        try:
            yield 1
            started.set()
            yield 2
            time.sleep(60)
            yield 3
        finally:
            closed.append(True)

    runner = h.runner(gen)
    main_thread_signal(runner)
    runner.cancels.sent(["in-1"])
    t = cancel_when(started, runner.cancels, "in-1")
    runner.run_one("in-1", 0, _args(), last_in_batch=True)
    t.join()
    outs = outputs(h.frames())
    assert [o[2] for o in outs] == [P.STATUS_GENERATOR_ITEM, P.STATUS_GENERATOR_ITEM, P.STATUS_CANCELLED]
    assert [pickle.loads(o[3]) for o in outs[:2]] == [1, 2] and closed == [True]


def test_an_async_functions_task_is_cancelled(h):
    started, seen = threading.Event(), []

    async def waits():
        started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise

    runner = h.runner(waits)
    runner.cancels.sent(["in-1"])
    t = cancel_when(started, runner.cancels, "in-1")
    runner.run_one("in-1", 0, _args(), last_in_batch=True)
    t.join()
    assert seen == ["cancelled"] and [o[2] for o in outputs(h.frames())] == [P.STATUS_CANCELLED]


@pytest.mark.parametrize("kind", ["threads", "async"])
def test_one_of_two_concurrent_inputs_is_cancelled_and_the_other_finishes(h, kind):
    started = {"a": threading.Event(), "b": threading.Event()}
    seen = []

    if kind == "threads":
        def work(name, seconds):
            started[name].set()
            try:
                deadline = time.monotonic() + seconds
                while time.monotonic() < deadline:
                    time.sleep(0.02)
            except SdkInputCancellation:
                seen.append(name)
                raise
            return name
    else:
        async def work(name, seconds):
            started[name].set()
            try:
                await asyncio.sleep(seconds)
            except asyncio.CancelledError:
                seen.append(name)
                raise
            return name

    r = ConcurrentRunner(h.channel, work, None, h.stdout, h.stderr, cloudpickle, max_inputs=2)
    r.cancels.sent(["in-a", "in-b"])
    r.submit("in-a", 0, _args("a", 60))
    r.submit("in-b", 0, _args("b", 0.5))
    assert started["a"].wait(5) and started["b"].wait(5)
    assert r.cancels.cancel("in-a")
    r.close()
    r.flush()
    got = {o[0]: (o[2], o[3]) for o in outputs(h.frames())}
    assert got["in-a"] == (P.STATUS_CANCELLED, b"") and seen == ["a"]
    assert got["in-b"][0] == P.STATUS_SUCCESS and pickle.loads(got["in-b"][1]) == "b"


def test_a_batch_runs_without_its_cancelled_inputs_and_is_interrupted_once_all_are(h, main_thread_signal):
    started, batches = threading.Event(), []

    def double(xs):
        batches.append(list(xs))
        if xs == [99]:
            started.set()
            time.sleep(60)
        return [2 * x for x in xs]

    r = BatchedRunner(h.channel, double, None, h.stdout, h.stderr, cloudpickle, max_batch_size=3, wait_ms=0)
    main_thread_signal(r)
    r.cancels.sent(["in-1", "in-2", "in-3"])
    for i in (1, 2, 3):
        r.add(f"in-{i}", 0, _args(i))
    r.cancels.cancel("in-2")   # while it waits for its batch
    r.run_batch()
    r.cancels.sent(["in-4"])
    r.add("in-4", 0, _args(99))
    t = cancel_when(started, r.cancels, "in-4")
    r.run_batch()
    t.join()
    assert batches == [[1, 3], [99]]
    assert [(o[0], o[2]) for o in outputs(h.frames())] == [
        ("in-2", P.STATUS_CANCELLED), ("in-1", P.STATUS_SUCCESS), ("in-3", P.STATUS_SUCCESS), ("in-4", P.STATUS_CANCELLED)]


def test_a_batch_runs_on_while_some_of_its_inputs_are_cancelled(h, main_thread_signal):
    started, go = threading.Event(), threading.Event()

    def double(xs):
        started.set()
        assert go.wait(5)
        return [2 * x for x in xs]

    r = BatchedRunner(h.channel, double, None, h.stdout, h.stderr, cloudpickle, max_batch_size=2, wait_ms=0)
    main_thread_signal(r)
    r.cancels.sent(["in-1", "in-2"])
    r.add("in-1", 0, _args(1))
    r.add("in-2", 0, _args(2))

    def cancel_one():
        assert started.wait(5)
        r.cancels.cancel("in-1")   # in-2 still wants the batch's result
        go.set()

    t = threading.Thread(target=cancel_one)
    t.start()
    r.run_batch()
    t.join()
    assert [(o[0], o[2]) for o in outputs(h.frames())] == [("in-1", P.STATUS_SUCCESS), ("in-2", P.STATUS_SUCCESS)]


def test_the_bootstrap_cancels_the_running_input_and_serves_the_next(tmp_path):
    """As a script, as containers run it: its flusher thread reads the Cancel while the input runs."""
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "usermod.py").write_text(
        "import time\n\ndef f(seconds):\n    print('started', flush=True)\n    time.sleep(seconds)\n    return seconds\n")
    env = {"PYTHONPATH": str(lib), P.ENV_FUNCTION: P.format_spec({"module": "usermod", "name": "f"})}
    with _bootstrap_script(tmp_path, env) as conn:
        assert isinstance(P.recv_message(conn), P.Hello)
        conn.sendall(P.encode(P.Inputs(["in-1", "in-2"], [1, 1], [pickle.dumps(((60,), {})), pickle.dumps(((0,), {}))])))
        assert P.recv_message(conn) == P.Log(1, "started\n", "in-1")
        conn.sendall(P.encode(P.Cancel("in-1")) + P.encode(P.Cancel("in-unknown")))
        got = []
        while len(got) < 2:
            msg = P.recv_message(conn)
            if isinstance(msg, P.Outputs):
                got += [(o[0], o[2]) for o in msg.rows()]
        assert got == [("in-1", P.STATUS_CANCELLED), ("in-2", P.STATUS_SUCCESS)]
