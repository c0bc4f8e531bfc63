import asyncio
import contextlib
import os
import pickle
import socket
import subprocess
import sys
import threading

import cloudpickle
import pytest

from leveret import _serialization as ser
from leveret.container import bootstrap
from leveret.container import protocol as P
from leveret.container.channel import Channel, SocketWriter
from leveret.container.runner import ConcurrentRunner, Runner
from leveret.container.serialization import exception_payload
from leveret.container.protocol import (
    STATUS_FAILURE,
    STATUS_GENERATOR_DONE,
    STATUS_GENERATOR_ITEM,
    STATUS_INTERNAL_FAILURE,
    STATUS_SUCCESS,
)


@pytest.fixture
def pair():
    a, b = socket.socketpair()
    b.settimeout(5)   # a bug that sends nothing fails the test instead of hanging it
    yield a, b
    a.close()
    b.close()


# ---------------------------------------------------------------------- the runner


class Harness:
    """A Runner whose worker end of the socket the test reads."""

    def __init__(self, container_end, worker_end):
        self.container_end, self.worker_end = container_end, worker_end
        self.channel = Channel(container_end)
        self.stdout, self.stderr = SocketWriter(self.channel, 1), SocketWriter(self.channel, 2)
        self.runners = []

    def runner(self, fn, import_error=None):
        r = Runner(self.channel, fn, import_error, self.stdout, self.stderr, cloudpickle)
        self.runners.append(r)
        return r

    def run(self, fn, *args, input_id="in-1", import_error=None, **kwargs):
        """Run one input; return every frame the container sent."""
        self.runner(fn, import_error).run_one(input_id, 0, ser.serialize_args(args, kwargs), last_in_batch=True)
        return self.frames()

    def frames(self):
        """Every message the container sent."""
        self.container_end.shutdown(socket.SHUT_WR)
        frames = []
        while True:
            try:
                frames.append(P.recv_message(self.worker_end))
            except EOFError:
                return frames

    def close(self):
        for r in self.runners:
            if r.loop is not None:
                r.loop.close()


@pytest.fixture
def h(pair):
    harness = Harness(*pair)
    yield harness
    harness.close()


def outputs(frames, *, tracebacks: bool = False):
    """The output rows of ``frames``; a failure's message without its traceback unless ``tracebacks``
    (test_raising_function_fails_with_an_exception_payload checks that part)."""
    rows = [out for f in frames if isinstance(f, P.Outputs) for out in f.rows()]
    return rows if tracebacks else [(*o[:5], o[5].partition(P.TRACEBACK_MARK)[0]) for o in rows]


def add(a, b):
    return a + b


def fail(message):
    raise ValueError(message)


def test_plain_function_succeeds_with_its_pickled_value(h):
    [msg] = h.run(add, 2, b=3)
    assert isinstance(msg, P.Outputs)
    assert msg.rows() == [("in-1", 0, STATUS_SUCCESS, cloudpickle.dumps(5), 0, "")]
    assert 0 < msg.busy_s < 1


def test_raising_function_fails_with_an_exception_payload(h):
    [(input_id, attempt, status, data, gen_index, message)] = outputs(h.run(fail, "bad row 3"), tracebacks=True)
    head, mark, tb = message.partition(P.TRACEBACK_MARK)
    assert (input_id, status, head, mark) == ("in-1", STATUS_FAILURE, "ValueError: bad row 3", P.TRACEBACK_MARK)
    # the traceback the server keeps: the function's frames only, with their source, then the error
    assert tb.startswith("Traceback (most recent call last):\n")
    assert f'"{__file__}", line' in tb and "in fail\n    raise ValueError(message)\n" in tb
    assert tb.endswith("ValueError: bad row 3\n") and "leveret/container" not in tb
    exc = ser.exception_from_payload(data)
    assert type(exc) is ValueError
    assert exc.args == ("bad row 3",)


def test_unpicklable_return_value_fails_and_says_so(h):
    [out] = outputs(h.run(threading.Lock))
    assert out[2] == STATUS_FAILURE
    assert "cannot be pickled" in out[5]
    assert "cannot be pickled" in str(ser.exception_from_payload(out[3]))


def test_generator_streams_its_items_then_done_with_the_count(h):
    def gen(n):
        for i in range(n):
            yield i * 10

    outs = outputs(h.run(gen, 3))
    assert [(o[2], o[4]) for o in outs] == [
        (STATUS_GENERATOR_ITEM, 0), (STATUS_GENERATOR_ITEM, 1), (STATUS_GENERATOR_ITEM, 2),
        (STATUS_GENERATOR_DONE, 3),
    ]
    assert [cloudpickle.loads(o[3]) for o in outs[:3]] == [0, 10, 20]


def test_empty_generator_is_done_with_zero_items(h):
    def gen():
        yield from ()

    assert [(o[2], o[4]) for o in outputs(h.run(gen))] == [(STATUS_GENERATOR_DONE, 0)]


def test_generator_that_raises_fails_after_its_items(h):
    def gen():
        yield 1
        raise ValueError("halfway")

    outs = outputs(h.run(gen))
    assert [o[2] for o in outs] == [STATUS_GENERATOR_ITEM, STATUS_FAILURE]
    assert outs[1][5] == "ValueError: halfway"


def test_async_function_is_awaited(h):
    async def double(x):
        await asyncio.sleep(0)
        return x * 2

    [out] = outputs(h.run(double, 21))
    assert (out[2], cloudpickle.loads(out[3])) == (STATUS_SUCCESS, 42)


def test_async_generator_streams_its_items(h):
    async def agen(n):
        for i in range(n):
            await asyncio.sleep(0)
            yield i

    outs = outputs(h.run(agen, 2))
    assert [(o[2], o[4]) for o in outs] == [
        (STATUS_GENERATOR_ITEM, 0), (STATUS_GENERATOR_ITEM, 1), (STATUS_GENERATOR_DONE, 2),
    ]
    assert [cloudpickle.loads(o[3]) for o in outs[:2]] == [0, 1]


def test_async_function_that_raises_fails(h):
    async def broken():
        raise KeyError("k")

    [out] = outputs(h.run(broken))
    assert out[2] == STATUS_FAILURE
    assert type(ser.exception_from_payload(out[3])) is KeyError


def test_import_error_fails_every_input_as_internal_failure(h):
    payload = exception_payload(ImportError("could not import function m:f"), cloudpickle)
    runner = h.runner(None, import_error=payload)
    runner.run_one("in-1", 0, ser.serialize_args((), {}), last_in_batch=False)
    runner.run_one("in-2", 1, ser.serialize_args((), {}), last_in_batch=True)
    assert outputs(h.frames()) == [
        ("in-1", 0, STATUS_INTERNAL_FAILURE, payload, 0, "function could not be imported"),
        ("in-2", 1, STATUS_INTERNAL_FAILURE, payload, 0, "function could not be imported"),
    ]


def test_every_input_of_a_batch_gets_its_output_in_order(h):
    runner = h.runner(add)
    for i in range(3):
        runner.run_one(f"in-{i}", 0, ser.serialize_args((i, 1), {}), last_in_batch=i == 2)
    outs = outputs(h.frames())
    assert [(o[0], cloudpickle.loads(o[3])) for o in outs] == [("in-0", 1), ("in-1", 2), ("in-2", 3)]


def test_prints_arrive_before_the_output_and_name_their_input(h):
    def chatty():
        h.stdout.write("working\n")
        h.stderr.write("warning\n")
        return "result"

    frames = h.run(chatty, input_id="in-7")
    assert frames[:2] == [P.Log(1, "working\n", "in-7"), P.Log(2, "warning\n", "in-7")]
    assert isinstance(frames[2], P.Outputs)
    assert len(frames) == 3


def test_generator_prints_arrive_before_the_item_they_precede(h):
    def gen():
        h.stdout.write("first\n")
        yield 1
        h.stdout.write("second\n")
        yield 2

    kinds = ["outputs" if isinstance(f, P.Outputs) else f.text for f in h.run(gen)]
    assert kinds == ["first\n", "outputs", "second\n", "outputs", "outputs"]


def test_socket_writer_flush_with_nothing_written_sends_nothing(h):
    h.stdout.flush()
    assert h.frames() == []


def test_socket_writer_refuses_bytes(h):
    with pytest.raises(TypeError):
        h.stdout.write(b"bytes")


def test_bootstrap_loads_as_a_script_without_leveret():
    # the container runs it as a script, where Leveret may not be installed
    code = "import runpy, sys; sys.modules['leveret'] = None; runpy.run_path(sys.argv[1]); print('loaded')"
    result = subprocess.run([sys.executable, "-c", code, bootstrap.__file__], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "loaded\n"


def _interpreters():
    """This one, and the oldest Python containers may have (3.9) where this machine has one."""
    import shutil

    found = [sys.executable]
    old = shutil.which("python3.9")
    if old and subprocess.run([old, "-c", "pass"], capture_output=True).returncode == 0:
        found.append(old)
    return found


@contextlib.contextmanager
def _bootstrap_script(tmp_path, env: dict, python: str = sys.executable):
    """The bootstrap run as a script, as containers run it; yields the worker's end of its socket,
    then stops it, and it must exit cleanly."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(tmp_path / "sock"))
        server.listen(1)
        server.settimeout(60)
        env = {"PATH": os.environ["PATH"], P.ENV_SOCKET: str(tmp_path / "sock"), **env}
        proc = subprocess.Popen([python, bootstrap.__file__], env=env, cwd=str(tmp_path), stderr=subprocess.PIPE)
        try:
            conn, _ = server.accept()
            conn.settimeout(60)
            with conn:
                yield conn
                conn.sendall(P.encode(P.Stop()))
            assert proc.wait(timeout=60) == 0, proc.stderr.read().decode()
        finally:
            proc.kill()
            proc.wait()
            proc.stderr.close()


@pytest.mark.parametrize("python", _interpreters(), ids=lambda p: "this python" if p == sys.executable else "3.9")
def test_run_as_a_script_it_serves_inputs_and_shadows_no_module_of_the_function(python, tmp_path):
    lib = tmp_path / "lib"   # the function's code, on its PYTHONPATH, with a module of its own named protocol
    lib.mkdir()
    (lib / "protocol.py").write_text("WHO = 'the function'\n")
    (lib / "usermod.py").write_text("import protocol\n\ndef f(x):\n    print('working')\n    return protocol.WHO, x * 2\n")
    env = {"PYTHONPATH": str(lib), P.ENV_FUNCTION: P.format_spec({"module": "usermod", "name": "f"})}
    with _bootstrap_script(tmp_path, env, python) as conn:
        hello = P.recv_message(conn)
        assert isinstance(hello, P.Hello) and (hello.version, hello.import_error) == (P.VERSION, False)
        conn.sendall(P.encode(P.Inputs(["in-1"], [0], [pickle.dumps(((21,), {}))])))
        assert P.recv_message(conn) == P.Log(1, "working\n", "in-1")
        [(input_id, attempt, status, data, _, message)] = P.recv_message(conn).rows()
        assert (input_id, status, message, pickle.loads(data)) == ("in-1", STATUS_SUCCESS, "", ("the function", 42))


def test_a_warm_container_has_imported_what_loading_its_function_imports_and_not_cloudpickle(tmp_path):
    from leveret.worker.runtime.base import LEVERET_PACKAGE

    module = b"import sys\n\nWARM = sorted(m for m in ('leveret.app', 'cloudpickle') if m in sys.modules)\n\n" \
             b"def f():\n    return WARM\n"
    with _bootstrap_script(tmp_path, {"PYTHONPATH": os.path.dirname(LEVERET_PACKAGE)}) as conn:
        assert isinstance(P.recv_message(conn), P.Warm)   # no function in its environment: it waits for one
        conn.sendall(P.encode(P.Load({"module": "usermod", "name": "f"}, [("usermod.py", module)], "ct-1", {})))
        hello = P.recv_message(conn)
        assert isinstance(hello, P.Hello) and not hello.import_error
        conn.sendall(P.encode(P.Inputs(["in-1"], [0], [pickle.dumps(((), {}))])))
        [(_, _, status, data, _, _)] = P.recv_message(conn).rows()
        assert (status, pickle.loads(data)) == (STATUS_SUCCESS, ["leveret.app"])   # cloudpickle: when needed


CONTAINER_MODULES = sorted(name for name in os.listdir(os.path.dirname(bootstrap.__file__)) if name.endswith(".py"))


@pytest.mark.parametrize("name", CONTAINER_MODULES)
def test_the_container_side_parses_as_python_3_9(name):
    import ast

    with open(os.path.join(os.path.dirname(bootstrap.__file__), name)) as f:
        ast.parse(f.read(), feature_version=(3, 9))   # no match statements, no parenthesized context managers


def test_prints_from_a_thread_the_function_starts_name_its_input(h):
    import threading

    def spawns_a_thread():
        t = threading.Thread(target=lambda: h.stdout.write("from a thread\n"))
        t.start()
        t.join()
        return 1

    frames = h.run(spawns_a_thread, input_id="in-9")
    assert P.Log(1, "from a thread\n", "in-9") in frames


def test_concurrent_inputs_run_at_once_and_their_prints_name_each_input(h):
    import threading


    barrier = threading.Barrier(3, timeout=5)   # each input waits until all three run: only at once can they

    def work(x):
        h.stdout.write(f"x={x}\n")
        barrier.wait()
        return x * 10

    r = ConcurrentRunner(h.channel, work, None, h.stdout, h.stderr, cloudpickle, max_inputs=3)
    for i in range(3):
        r.submit(f"in-{i}", 0, ser.serialize_args((i,), {}))
    r.close()
    r.flush()
    h.stdout.flush()
    frames = h.frames()
    got = sorted((o[0], cloudpickle.loads(o[3])) for o in outputs(frames))
    assert got == [("in-0", 0), ("in-1", 10), ("in-2", 20)]
    logs = sorted((f.input_id, f.text) for f in frames if isinstance(f, P.Log))
    assert logs == [("in-0", "x=0\n"), ("in-1", "x=1\n"), ("in-2", "x=2\n")]
