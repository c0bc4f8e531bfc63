"""A container's life: connect to the worker, get the function (from the environment, or, in a
warm container, from a Load frame), import it, say Hello, then run the inputs of each batch that
comes until Stop or the socket's end.

The main thread reads the worker's frames while it waits for them; while it is busy (an input
runs), the flusher thread reads what comes, so a Cancel reaches the input that runs (cancel.py).
"""

from __future__ import annotations

import collections
import importlib
import os
import _socket as socket
import sys
import threading
import time

from . import protocol as P
from . import feeds, preimport
from .batching import BatchedRunner
from .channel import Channel, SocketWriter, flush_forever
from .lifecycle import Instance
from .runner import ConcurrentRunner, Runner
from .serialization import Codec, Spool, exception_payload


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


# What loading a function imports, whatever the function: a module's ``leveret.App(...)`` and
# ``@app.function`` (or an App or Function a serialized function's pickle holds) import leveret.app
# (``import leveret`` alone does not: the package's names are imported at their first use).
# cloudpickle is not among them: it takes ~30 ms to import, which a warm container refilled while
# cold starts come one after another would put on their path, and a function loaded from its
# module (the usual case) never needs it; a serialized function's pickle imports it after Load.
WARM_IMPORTS = ("leveret.app",)


def wait_for_function(channel: Channel, started_at: float) -> dict:
    """A warm container: started before any function was chosen for it. It imports WARM_IMPORTS
    and waits for a Load: its files (the function's code, or its pickle) are written to a directory
    of its own, and its env (the function's secrets) joins the environment."""
    for name in WARM_IMPORTS:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    preimport.run(os.environ.get(preimport.ENV_PREIMPORT, ""))   # what its image's last function imported
    # What was imported lives as long as the container: out of the collector's way, so its first
    # input does not pay for a full collection over it (~30 ms with FastAPI's), as a forking
    # server's workers do.
    import gc

    gc.collect()
    gc.freeze()
    channel.send(P.Warm(started_at))
    msg = channel.recv()
    if not isinstance(msg, P.Load):
        raise SystemExit(0)
    spec, files = dict(msg.spec), msg.files
    os.environ.update(msg.env)
    os.environ[P.ENV_CONTAINER_ID] = msg.container_id
    # beside the socket: a directory of this container's that is writable and removed with it
    code_dir = os.path.join(os.path.dirname(os.environ[P.ENV_SOCKET]), "code")
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


def main(started_at: float) -> int:
    """The container's program; ``started_at``: when its interpreter started (the bootstrap's first line)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(os.environ[P.ENV_SOCKET])
    channel = Channel(sock, os.environ[P.ENV_SOCKET], float(os.environ.get(P.ENV_REJOIN) or 0))
    stdout, stderr = SocketWriter(channel, 1), SocketWriter(channel, 2)
    sys.stdout, sys.stderr = stdout, stderr
    flushing: list = [stdout, stderr]
    threading.Thread(target=flush_forever, args=(flushing,), daemon=True).start()
    if P.ENV_FUNCTION in os.environ:
        spec = P.parse_spec(os.environ[P.ENV_FUNCTION])
    else:
        spec = wait_for_function(channel, started_at)

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
    instance, enter_failed, web_start_failed = None, False, ""
    if fn is not None and spec.get("cls"):   # an @app.cls: its instance runs each input's method
        try:
            instance = Instance(fn, spec.get("params", ""))
            install_sigterm()
            instance.enter()
            fn = instance
        except BaseException as exc:   # its inputs fail with the traceback, then the container ends (a crash)
            fn, enter_failed = None, True
            import_error = exception_payload(exc, cloudpickle)
            import traceback

            traceback.print_exception(type(exc), exc, exc.__traceback__, file=stderr)
    if fn is not None and spec.get("web_kind"):   # a web function: each input is an HTTP request
        from . import web

        fn = web.handler(fn, spec)
        try:
            web.start(fn)
        except BaseException as exc:   # its requests fail with the traceback (502 with its message)
            web_start_failed = f"{type(exc).__name__}: {exc}"
            import_error = exception_payload(exc, cloudpickle)
            import traceback

            traceback.print_exception(type(exc), exc, exc.__traceback__, file=stderr)
    elif instance is not None and spec.get("web_methods"):   # an @app.cls's web methods too
        import json

        from .web import class_handler

        fn = class_handler(instance, json.loads(spec["web_methods"]))
    channel.send(P.Hello(started_at=started_at, import_started_at=import_started, ready_at=time.time(),
                         import_error=import_error is not None, python=sys.version.split()[0]))

    max_inputs = int(spec.get("max_inputs") or 1)
    if spec.get("batch_max_size"):
        runner = BatchedRunner(channel, fn, import_error, stdout, stderr, cloudpickle,
                               max_batch_size=int(spec["batch_max_size"]), wait_ms=int(spec.get("batch_wait_ms") or 0))
    elif max_inputs > 1 and fn is not None:
        runner = ConcurrentRunner(channel, fn, import_error, stdout, stderr, cloudpickle, max_inputs=max_inputs)
    else:
        runner = Runner(channel, fn, import_error, stdout, stderr, cloudpickle)
    if enter_failed:
        runner.failure = (P.STATUS_FAILURE, "its class's @enter failed")
    if web_start_failed:
        runner.failure = (P.STATUS_FAILURE, web_start_failed)
    if fn is not None and import_error is None and (spec.get("web_kind") or spec.get("web_methods")):
        from . import web_link

        web_link.start(fn, runner, max_inputs)   # the gateway's requests straight to this container
    if runner.one_at_a_time:
        runner.marker = P.RunningMarker(os.path.join(os.path.dirname(os.environ[P.ENV_SOCKET]), P.RUNNING_FILE))
    flushing.append(runner)   # a fast input's output must not wait for a slow input after it
    frames = Frames(channel, runner.cancels)
    flushing.append(frames)   # the flusher reads what comes while an input runs
    try:
        serve_inputs(frames, runner)
    finally:
        if instance is not None:   # @exit, on Stop, the socket's end, or SIGTERM
            instance.exit()
        asgi = sys.modules.get(f"{__package__}.asgi")
        if asgi is not None:   # ASGI apps' lifespan shutdown, while their loops still run
            asgi.shutdown_all()
        if isinstance(runner, ConcurrentRunner):
            runner.close()
        runner.flush()
        preimport.record(os.path.dirname(os.environ[P.ENV_SOCKET]))   # for the next warm container on its image
    return 1 if enter_failed else 0


def install_sigterm() -> None:
    """SIGTERM (the worker stopping a container past its grace) ends the main loop, so @exit runs."""
    import signal

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)


class Frames:
    """The worker's frames, in order. The main thread reads the socket itself while it waits for one
    (``next``); while it is busy (an input runs), the flusher thread reads what comes at each of its
    ticks (``flush``): a Cancel is acted on there and then, the rest waits here for the main thread."""

    def __init__(self, channel: Channel, cancels):
        self.channel = channel
        self.cancels = cancels
        self._reading = threading.Lock()   # whoever reads the socket holds it
        self._read: collections.deque = collections.deque()   # what the flusher thread read
        self._open = True

    def next(self, timeout: float | None = None):
        """The next frame; None at the socket's end; TimeoutError if none starts within ``timeout``."""
        with self._reading:
            if self._read:
                msg = self._read.popleft()
            elif timeout is not None and not self.channel.readable(timeout):
                raise TimeoutError
            else:
                msg = self._recv()
        if isinstance(msg, BaseException):   # a frame it cannot read
            raise msg
        return msg

    def flush(self) -> None:
        """The flusher thread's tick (channel.flush_forever): read what came while the main thread is
        busy (it holds the lock while it reads or waits)."""
        if not self._reading.acquire(blocking=False):
            return
        try:
            while self._open and self.channel.readable(0):
                msg = self._recv()
                if type(msg) is P.Cancel:
                    self.cancels.cancel(msg.input_id)
                elif type(msg) is P.Body:   # a running input waits for it
                    feeds.put(msg.input_id, msg.data, msg.end)
                else:
                    self._read.append(msg)
        finally:
            self._reading.release()

    def _recv(self):
        """A frame (an Inputs' ids known to ``cancels`` from now on); at the end None, or the error."""
        try:
            msg = self.channel.recv()
        except (EOFError, OSError):
            self._open = False
            return None
        except BaseException as exc:
            self._open = False
            return exc
        if type(msg) is P.Inputs:
            self.cancels.sent(msg.input_ids)
        return msg


def serve_inputs(frames: Frames, runner: Runner) -> None:
    """Run each batch of inputs that comes until Stop or the socket's end (after one batch, when
    the class's @enter failed: its inputs failed with it, and the container ends as a crash)."""
    spools: dict = {}   # input id -> Spool of its arguments while they arrive
    batched = isinstance(runner, BatchedRunner)
    if runner.one_at_a_time or batched:   # their inputs run on this thread: a signal interrupts one
        if threading.current_thread() is threading.main_thread():
            runner.cancels.install(frames.channel)
    while True:
        if batched:   # a batch waits for more inputs only until it is due
            due = runner.due_in()
            if due == 0:
                runner.run_batch()
                continue
            try:
                msg = frames.next(due)
            except TimeoutError:
                runner.run_batch()
                continue
        else:
            msg = frames.next()
        if msg is None or isinstance(msg, P.Stop):
            break
        if isinstance(msg, P.Cancel):   # of an input not started, or finished (ignored)
            runner.cancels.cancel(msg.input_id)
        elif isinstance(msg, P.Body):
            feeds.put(msg.input_id, msg.data, msg.end)
        elif isinstance(msg, P.Blob):   # part of the arguments of an input that comes next
            spools.setdefault(msg.input_id, Spool()).add(msg.data)
        elif isinstance(msg, P.BlobAbort):
            spool = spools.pop(msg.input_id, None)
            if spool is not None:
                spool.file.close()
        elif isinstance(msg, P.Inputs):
            args = msg.args
            if spools:   # those None came as Blob chunks
                args = [spools.pop(iid, None) if a is None else a for iid, a in zip(msg.input_ids, args)]
            runner.calls.update(zip(msg.input_ids, msg.call_ids))
            batch = zip(msg.input_ids, msg.attempts, args)
            if batched:
                for input_id, attempt, args_blob in batch:
                    runner.add(input_id, attempt, args_blob)
                continue
            if isinstance(runner, ConcurrentRunner):
                for input_id, attempt, args_blob in batch:
                    runner.submit(input_id, attempt, args_blob)
                continue
            last = len(msg.input_ids) - 1
            for i, (input_id, attempt, args_blob) in enumerate(batch):
                runner.run_one(input_id, attempt, args_blob, last_in_batch=i == last)
            runner.flush()
            if runner.failure[0] == P.STATUS_FAILURE:
                return
    while batched and runner.batch:   # Stop: what was sent runs first
        runner.run_batch()
