"""The program that runs inside every container.

It needs only the standard library and cloudpickle (any image with Python >= 3.9), and is started
as a script — ``python .../bootstrap.py`` — so it imports nothing else of Leveret but protocol.py
beside it: the messages it exchanges with its worker over a unix socket.

Flow::

    worker ──unix socket──▶ bootstrap: [Load (a warm container's function)] Inputs, Blob, BlobAbort, Stop
    bootstrap ─────────────▶ worker:   [Warm] Hello, Outputs, Log, Blob, BlobAbort

Inputs and outputs move in batches both ways; one container serves many inputs. Arguments and
results over the inline limit go as Blob chunks first; the input's args or the output's data is
then None. An output's ``busy_s`` is the time spent running inputs since the previous batch (the
server sizes its dispatch windows and scaling from it). Lines the function prints through
``sys.stdout`` / ``sys.stderr`` travel on the same socket, so they reach the worker before the
output of the input that printed them.
"""

from __future__ import annotations

import _contextvars as contextvars
import importlib
import io
import os
try:  # the C modules themselves: pickle.py and socket.py import re, enum and more (milliseconds)
    import _pickle as pickle
except ImportError:  # pragma: no cover - an interpreter without the accelerator
    import pickle
import _socket as socket
import sys
import threading
import time

STARTED_AT = time.time()


def _container_package() -> str:
    """The package this directory's modules are imported from: ``leveret.container`` when this
    file is imported (by the worker, by tests). Run as a script, a package of a private name made
    here, whose path is this directory, whatever sys.path holds; and this directory leaves
    sys.path: the function's own modules (one may be called protocol) are not shadowed by Leveret's."""
    if __package__:
        return __package__
    from importlib.machinery import ModuleSpec

    here = os.path.dirname(os.path.realpath(__file__))
    if sys.path and sys.path[0] and os.path.realpath(sys.path[0]) == here:
        del sys.path[0]
    name = "_leveret_container"
    package = type(sys)(name)
    package.__spec__ = ModuleSpec(name, None, is_package=True)
    package.__spec__.submodule_search_locations = package.__path__ = [here]
    sys.modules[name] = package
    return name


P = importlib.import_module(_container_package() + ".protocol")
ENV_SOCKET, ENV_FUNCTION, ENV_CONTAINER_ID = P.ENV_SOCKET, P.ENV_FUNCTION, P.ENV_CONTAINER_ID
format_spec = P.format_spec   # what the worker writes into ENV_FUNCTION

LOG_FLUSH_INTERVAL_S = 0.01
OUTPUT_FLUSH_INTERVAL_S = 0.005
OUTPUT_FLUSH_BYTES = 8 * 1024 * 1024   # held outputs are sent once they are this big, whatever the time

# The input whose code is running: each thread or task of a @concurrent function has its own.
CURRENT_INPUT = contextvars.ContextVar("leveret_input", default="")
# Threads the function starts have a context of their own: their prints go to the one input running,
# when one container runs one input at a time.
SOLE_INPUT = [""]


# ----------------------------------------------------------------------------- channel


class Channel:
    """The socket to the worker; sends are serialised by a lock (log flusher vs main thread)."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self._lock = threading.Lock()

    def send(self, msg: P.Message) -> None:
        data = P.encode(msg)
        with self._lock:
            self.sock.sendall(data)

    def recv(self) -> P.Message:
        return P.recv_message(self.sock)


class SocketWriter(io.TextIOBase):
    """A text stream that forwards what is written to the worker as log frames.

    Writes only append to a buffer; a flusher thread sends every LOG_FLUSH_INTERVAL_S, and the
    main loop flushes before it sends outputs, so a function's prints precede its result.
    """

    def __init__(self, channel: Channel, fd: int):
        self._channel = channel
        self._fd = fd
        self._parts: list[tuple[str, str]] = []   # (input_id, text)
        self._lock = threading.Lock()
        self.buffer = _BytesWriter(self)

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def isatty(self) -> bool:
        return False

    def write(self, s: str) -> int:
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        with self._lock:
            self._parts.append((CURRENT_INPUT.get() or SOLE_INPUT[0], s))
        return len(s)

    def flush(self) -> None:
        with self._lock:
            if not self._parts:
                return
            parts, self._parts = self._parts, []
        runs: list[list] = []   # consecutive text of one input goes in one frame
        for input_id, text in parts:
            if runs and runs[-1][0] == input_id:
                runs[-1][1].append(text)
            else:
                runs.append([input_id, [text]])
        try:
            for input_id, texts in runs:
                self._channel.send(P.Log(self._fd, "".join(texts), input_id))
        except OSError:
            pass  # the worker is gone; the container is about to be stopped


class _BytesWriter(io.RawIOBase):
    """``sys.stdout.buffer``: bytes written are decoded as UTF-8 (a character split across writes
    stays whole) and what is not UTF-8 is kept as surrogate escapes, shown by the worker as U+FFFD."""

    def __init__(self, text: SocketWriter):
        self._text = text
        import codecs

        self._decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        data = bytes(b)
        text = self._decoder.decode(data)
        if text:
            self._text.write(text)
        return len(data)

    def flush(self) -> None:
        self._text.flush()


def _flush_forever(writers: list) -> None:
    while True:
        time.sleep(LOG_FLUSH_INTERVAL_S)
        for w in writers:
            w.flush()


# ----------------------------------------------------------------------------- payloads


class PayloadTooLarge(ValueError):
    pass


class PayloadWriter:
    """Where a result is pickled: held in memory up to the inline limit; past it, what was and is
    written goes to the worker as Blob chunks as it is written, so a large result is never held twice."""

    def __init__(self, channel: "Channel", input_id: str):
        self.channel = channel
        self.input_id = input_id
        self.buf = bytearray()
        self.streamed = 0

    def write(self, data) -> int:
        n = len(data)
        if not self.streamed and len(self.buf) + n <= P.INLINE_LIMIT:
            self.buf += data
            return n
        if self.buf:
            held, self.buf = self.buf, bytearray()
            self._send(held)
        self._send(data)
        return n

    def _send(self, data) -> None:
        view = memoryview(data).cast("B")
        for start in range(0, len(view), P.CHUNK_BYTES):
            piece = view[start:start + P.CHUNK_BYTES]
            self.streamed += len(piece)
            if self.streamed > P.MAX_PAYLOAD:
                cap = P.MAX_PAYLOAD
                limit = f"{cap / 2**30:.3g} GiB" if cap >= 2**30 else f"{cap / 2**20:.3g} MiB"
                raise PayloadTooLarge(f"the result is over the {limit} limit on a call's payload: write large data"
                                      " to a file or storage and return its path or URL instead")
            self.channel.send(P.Blob(self.input_id, piece.tobytes()))

    def abort(self) -> None:
        """Pickling failed part-way: the worker drops what it relayed of this result."""
        if self.streamed:
            self.channel.send(P.BlobAbort(self.input_id))
            self.streamed = 0
        self.buf = bytearray()

    def result(self):
        """The pickled bytes, or None if they went to the worker as a blob."""
        return None if self.streamed else bytes(self.buf)


class Spool:
    """An input's arguments arriving as Blob chunks: in memory while small, on disk past the inline limit."""

    def __init__(self):
        import tempfile   # only inputs with large arguments pay for it

        self.file = tempfile.SpooledTemporaryFile(max_size=P.INLINE_LIMIT)

    def add(self, data: bytes) -> None:
        self.file.write(data)


def load_args(args):
    """(args, kwargs) from their pickle: bytes, or a Spool of a large one."""
    if not isinstance(args, Spool):
        return pickle.loads(args)
    with args.file as f:
        f.seek(0)
        return pickle.load(f)


class Codec:
    """pickle where it can, cloudpickle where it must: cloudpickle is imported only when a value
    needs it (plain data does not), which keeps it off the cold start. Payloads cloudpickle wrote
    load with plain pickle, which imports cloudpickle by itself when they refer to it."""

    loads = staticmethod(pickle.loads)

    @staticmethod
    def dumps(value) -> bytes:
        try:
            return pickle.dumps(value, protocol=4)
        except Exception:
            import cloudpickle

            return cloudpickle.dumps(value, protocol=4)

    @staticmethod
    def dump(value, writer: PayloadWriter) -> None:
        try:
            pickle.dump(value, writer, protocol=4)
        except PayloadTooLarge:
            raise
        except Exception:
            writer.abort()
            import cloudpickle

            cloudpickle.dump(value, writer, protocol=4)


def _function_kind(fn) -> tuple[bool, bool]:
    """(is a generator function, is an async generator function), without importing inspect."""
    code = getattr(fn, "__code__", None)
    if code is None:
        import inspect

        return inspect.isgeneratorfunction(fn), inspect.isasyncgenfunction(fn)
    return bool(code.co_flags & 0x20), bool(code.co_flags & 0x200)   # CO_GENERATOR, CO_ASYNC_GENERATOR


def exception_payload(exc: BaseException, cloudpickle) -> bytes:
    """Serialise an exception for the client: the object itself when it pickles, else its text."""
    import traceback

    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    info = {
        "type": f"{type(exc).__module__}.{type(exc).__qualname__}",
        "message": str(exc),
        "traceback": tb,
        "exc": None,
    }
    try:
        blob = cloudpickle.dumps(exc)
        pickle.loads(blob)  # an exception that pickles but cannot load is as bad as none
        info["exc"] = blob
    except Exception:
        pass
    return cloudpickle.dumps(info)


# ----------------------------------------------------------------------------- the function


def load_function(spec: dict, cloudpickle):
    """Return the user's callable, from its module (by name) or from a cloudpickled blob."""
    if spec.get("serialized_path"):
        with open(spec["serialized_path"], "rb") as f:
            obj = cloudpickle.loads(f.read())
    else:
        if spec.get("mount_dir"):
            sys.path.insert(0, spec["mount_dir"])
        obj = importlib.import_module(spec["module"])
        for part in spec["name"].split("."):
            obj = getattr(obj, part)
    get_raw = getattr(obj, "get_raw_f", None)
    return get_raw() if get_raw is not None else obj


class Runner:
    def __init__(self, channel: Channel, fn, import_error: bytes | None, stdout: SocketWriter, stderr: SocketWriter, cloudpickle):
        self.channel = channel
        self.fn = fn
        self.import_error = import_error
        self.writers = (stdout, stderr)
        self.cp = cloudpickle
        self.pending: list[tuple] = []
        self.pending_bytes = 0
        self.busy_s = 0.0
        self.last_flush = time.monotonic()
        self.loop = None
        self._lock = threading.Lock()   # the flusher thread also flushes what is held
        self.marker = P.RunningMarker(None)   # main() gives a one-at-a-time runner the real one

    def flush(self) -> None:
        """Send held log text, then held outputs (the worker times inputs from their arrival)."""
        with self._lock:
            for w in self.writers:
                w.flush()
            if self.pending:
                batch, self.pending, self.pending_bytes = self.pending, [], 0
                busy, self.busy_s = self.busy_s, 0.0
                self.channel.send(P.Outputs.of(batch, busy))
            self.last_flush = time.monotonic()

    def emit(self, out: tuple, *, urgent: bool) -> None:
        with self._lock:
            self.pending.append(out)
            self.pending_bytes += len(out[3] or b"")
            big = self.pending_bytes >= OUTPUT_FLUSH_BYTES
        if urgent or big or time.monotonic() - self.last_flush > OUTPUT_FLUSH_INTERVAL_S:
            self.flush()

    def _dump(self, value, input_id: str):
        """The pickled value, or None when it was over the inline limit and went to the worker as a blob."""
        writer = PayloadWriter(self.channel, input_id)
        try:
            self.cp.dump(value, writer)
        except PayloadTooLarge:
            writer.abort()
            raise
        except Exception as exc:
            writer.abort()
            raise TypeError(
                f"the function returned a value of type {type(value).__name__} that cannot be"
                f" pickled ({exc}); return plain data (dict, list, str, numbers) instead"
            ) from exc
        return writer.result()

    def _run_async(self, coro):
        if self.loop is None:
            import asyncio  # only async functions pay for it

            self.loop = asyncio.new_event_loop()
        return self.loop.run_until_complete(coro)

    one_at_a_time = True

    def run_one(self, input_id: str, attempt: int, args_blob: bytes, last_in_batch: bool) -> None:
        CURRENT_INPUT.set(input_id)
        if self.one_at_a_time:
            SOLE_INPUT[0] = input_id
            self.marker.set(input_id)
        try:
            self._run_one(input_id, attempt, args_blob, last_in_batch)
        finally:
            if self.one_at_a_time:
                self.marker.clear()

    def _run_one(self, input_id: str, attempt: int, args_blob: bytes, last_in_batch: bool) -> None:
        if self.import_error is not None:
            self.emit((input_id, attempt, P.STATUS_INTERNAL_FAILURE, self.import_error, 0, "function could not be imported"), urgent=last_in_batch)
            return
        started = time.perf_counter()
        try:
            args, kwargs = load_args(args_blob)
            if any(_function_kind(self.fn)):
                n = self._run_generator(input_id, attempt, args, kwargs)
                out = (input_id, attempt, P.STATUS_GENERATOR_DONE, b"", n, "")
            else:
                result = self.fn(*args, **kwargs)
                if hasattr(result, "__await__"):
                    result = self._run_async(result)
                out = (input_id, attempt, P.STATUS_SUCCESS, self._dump(result, input_id), 0, "")
        except Exception as exc:
            out = (input_id, attempt, P.STATUS_FAILURE, exception_payload(exc, self.cp), 0, f"{type(exc).__name__}: {exc}")
        with self._lock:
            self.busy_s += time.perf_counter() - started
        self.emit(out, urgent=last_in_batch)

    def _run_generator(self, input_id: str, attempt: int, args, kwargs) -> int:
        gen = self.fn(*args, **kwargs)
        n = 0
        if hasattr(gen, "__anext__"):
            while True:
                try:
                    item = self._run_async(gen.__anext__())
                except StopAsyncIteration:
                    return n
                self.emit((input_id, attempt, P.STATUS_GENERATOR_ITEM, self._dump(item, input_id), n, ""), urgent=True)
                n += 1
        for item in gen:
            self.emit((input_id, attempt, P.STATUS_GENERATOR_ITEM, self._dump(item, input_id), n, ""), urgent=True)
            n += 1
        return n


class ConcurrentRunner(Runner):
    """``@concurrent(max_inputs=N)``: every input sent runs at once (the server sends at most N).
    Async functions run as tasks on one event loop in a thread of its own; others on N threads.
    An input that raises what is not an Exception (SystemExit, KeyboardInterrupt) ends the
    container, as it would one input at a time: the server counts it a crash of what was running."""

    one_at_a_time = False

    def __init__(self, *args, max_inputs: int):
        super().__init__(*args)
        self.is_async = self.fn is not None and (_function_kind(self.fn)[1] or _is_coroutine_function(self.fn))
        if self.is_async:
            import asyncio

            self.loop = asyncio.new_event_loop()
            threading.Thread(target=self.loop.run_forever, daemon=True).start()
        else:
            from concurrent.futures import ThreadPoolExecutor

            self.pool = ThreadPoolExecutor(max_workers=max_inputs, thread_name_prefix="input")

    def submit(self, input_id: str, attempt: int, args_blob: bytes) -> None:
        if self.is_async:
            import asyncio

            asyncio.run_coroutine_threadsafe(self._run_async_one(input_id, attempt, args_blob), self.loop)
        else:
            self.pool.submit(self._run_in_thread, input_id, attempt, args_blob)

    def _run_in_thread(self, input_id: str, attempt: int, args_blob: bytes) -> None:
        try:
            self.run_one(input_id, attempt, args_blob, True)
        except BaseException:
            self._end_container()

    def _run_async(self, coro):
        """A sync function that returned an awaitable, on this thread: a loop of its own."""
        import asyncio

        return asyncio.run(coro)

    def _end_container(self) -> None:
        import traceback

        traceback.print_exc()
        self.flush()
        os._exit(1)

    async def _run_async_one(self, input_id: str, attempt: int, args_blob: bytes) -> None:
        try:
            await self._run_async_input(input_id, attempt, args_blob)
        except BaseException:
            self._end_container()

    async def _run_async_input(self, input_id: str, attempt: int, args_blob: bytes) -> None:
        CURRENT_INPUT.set(input_id)
        started = time.perf_counter()
        try:
            args, kwargs = load_args(args_blob)
            if _function_kind(self.fn)[1]:
                n = 0
                async for item in self.fn(*args, **kwargs):
                    self.emit((input_id, attempt, P.STATUS_GENERATOR_ITEM, self._dump(item, input_id), n, ""), urgent=True)
                    n += 1
                out = (input_id, attempt, P.STATUS_GENERATOR_DONE, b"", n, "")
            else:
                out = (input_id, attempt, P.STATUS_SUCCESS, self._dump(await self.fn(*args, **kwargs), input_id), 0, "")
        except Exception as exc:
            out = (input_id, attempt, P.STATUS_FAILURE, exception_payload(exc, self.cp), 0, f"{type(exc).__name__}: {exc}")
        with self._lock:
            self.busy_s += time.perf_counter() - started
        self.emit(out, urgent=True)

    def close(self) -> None:
        """Let running inputs finish (the worker stops the container when it wants them gone)."""
        if self.is_async:
            import asyncio

            pending = asyncio.run_coroutine_threadsafe(_all_tasks_done(), self.loop)
            pending.result()
        else:
            self.pool.shutdown(wait=True)


def _is_coroutine_function(fn) -> bool:
    code = getattr(fn, "__code__", None)
    return bool(code is not None and code.co_flags & 0x80)   # CO_COROUTINE


async def _all_tasks_done() -> None:
    import asyncio

    me = asyncio.current_task()
    others = [t for t in asyncio.all_tasks() if t is not me]
    if others:
        await asyncio.wait(others)


def wait_for_function(channel: Channel) -> dict:
    """A warm container: started before any function was chosen for it. It imports leveret (what
    user modules import first) and waits for a Load: its files (the function's code, or its pickle)
    are written to a directory of its own, and its env (the function's secrets) joins the environment."""
    try:
        import leveret  # noqa: F401 - warming up what the user's module will import
    except ImportError:
        pass
    channel.send(P.Warm(STARTED_AT))
    msg = channel.recv()
    if not isinstance(msg, P.Load):
        raise SystemExit(0)
    spec, files = dict(msg.spec), msg.files
    os.environ.update(msg.env)
    os.environ[ENV_CONTAINER_ID] = msg.container_id
    # beside the socket: a directory of this container's that is writable and removed with it
    code_dir = os.path.join(os.path.dirname(os.environ[ENV_SOCKET]), "code")
    for rel, data in files:
        path = os.path.normpath(os.path.join(code_dir, rel))
        if not path.startswith(code_dir + os.sep):
            raise SystemExit(f"refusing code file {rel!r}: it leaves the code directory")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    if spec.get("serialized"):
        spec["serialized_path"] = os.path.join(code_dir, "function.pkl")
    else:
        spec["mount_dir"] = code_dir
    return spec


def main() -> int:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(os.environ[ENV_SOCKET])
    channel = Channel(sock)
    stdout, stderr = SocketWriter(channel, 1), SocketWriter(channel, 2)
    sys.stdout, sys.stderr = stdout, stderr
    flushing: list = [stdout, stderr]
    threading.Thread(target=_flush_forever, args=(flushing,), daemon=True).start()
    if ENV_FUNCTION in os.environ:
        spec = P.parse_spec(os.environ[ENV_FUNCTION])
    else:
        spec = wait_for_function(channel)

    cloudpickle = Codec()
    import_started = time.time()
    fn, import_error = None, None
    try:
        fn = load_function(spec, cloudpickle)
    except BaseException as exc:  # a SystemExit at import time fails inputs, not the container
        what = spec.get("module", "") + ":" + spec.get("name", "")
        wrapped = ImportError(f"could not import function {what}: {type(exc).__name__}: {exc}")
        wrapped.__cause__ = exc
        import_error = exception_payload(wrapped, cloudpickle)
        import traceback

        traceback.print_exception(type(exc), exc, exc.__traceback__, file=stderr)
    channel.send(P.Hello(started_at=STARTED_AT, import_started_at=import_started, ready_at=time.time(),
                         import_error=import_error is not None, python=sys.version.split()[0]))

    max_inputs = int(spec.get("max_inputs") or 1)
    if max_inputs > 1 and fn is not None:
        runner = ConcurrentRunner(channel, fn, import_error, stdout, stderr, cloudpickle, max_inputs=max_inputs)
    else:
        runner = Runner(channel, fn, import_error, stdout, stderr, cloudpickle)
    if runner.one_at_a_time:
        runner.marker = P.RunningMarker(os.path.join(os.path.dirname(os.environ[ENV_SOCKET]), P.RUNNING_FILE))
    flushing.append(runner)   # a fast input's output must not wait for a slow input after it
    spools: dict = {}   # input id -> Spool of its arguments while they arrive
    while True:
        try:
            msg = channel.recv()
        except (EOFError, OSError):
            break
        if isinstance(msg, P.Stop):
            break
        if isinstance(msg, P.Blob):   # part of the arguments of an input that comes next
            spools.setdefault(msg.input_id, Spool()).add(msg.data)
        elif isinstance(msg, P.BlobAbort):
            spool = spools.pop(msg.input_id, None)
            if spool is not None:
                spool.file.close()
        elif isinstance(msg, P.Inputs):
            args = msg.args
            if spools:   # those None came as Blob chunks
                args = [spools.pop(iid, None) if a is None else a for iid, a in zip(msg.input_ids, args)]
            batch = zip(msg.input_ids, msg.attempts, args)
            if isinstance(runner, ConcurrentRunner):
                for input_id, attempt, args_blob in batch:
                    runner.submit(input_id, attempt, args_blob)
                continue
            last = len(msg.input_ids) - 1
            for i, (input_id, attempt, args_blob) in enumerate(batch):
                runner.run_one(input_id, attempt, args_blob, last_in_batch=i == last)
            runner.flush()
    if isinstance(runner, ConcurrentRunner):
        runner.close()
    runner.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
