"""Arguments in, results and exceptions out, in the container: pickle where it can, cloudpickle
where it must. A result over the inline limit is pickled straight into Blob frames (never held
twice); large arguments arrive the same way, spooled to disk past the inline limit.
"""

from __future__ import annotations

try:  # the C module itself: pickle.py imports re, enum and more (milliseconds)
    import _pickle as pickle
except ImportError:  # pragma: no cover - an interpreter without the accelerator
    import pickle

from . import protocol as P

TYPE_CHECKING = False   # typing costs milliseconds to import
if TYPE_CHECKING:
    from .channel import Channel


class PayloadTooLarge(ValueError):
    """A result over the limit on a call's payload: its input fails, saying so."""


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


class ArgumentsNotLoaded(Exception):
    """An input's arguments did not load here: its caller gets leveret.exception.DeserializationError
    (the bootstrap imports nothing of leveret, so the error travels by that name: exception_payload)."""

    remote_type = "leveret.exception.DeserializationError"


def load_args(args):
    """(args, kwargs) from their pickle: bytes, or a Spool of a large one."""
    try:
        if not isinstance(args, Spool):
            return pickle.loads(args)
        with args.file as f:
            f.seek(0)
            return pickle.load(f)
    except Exception as exc:
        raise ArgumentsNotLoaded(_why_not_loaded(exc)) from exc


def _why_not_loaded(exc: Exception) -> str:
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        return (f"could not load the input's arguments in the container: they need the module {exc.name!r}, which"
                f" its image lacks; add it to the function's image (Image....pip_install({exc.name!r})), or pass"
                " plain values")
    if isinstance(exc, pickle.UnpicklingError):
        return (f"could not load the input's arguments in the container: {type(exc).__name__}: {exc}. They are not"
                " a whole pickle: they were corrupted or cut on the way; call again, and report it if it persists")
    return (f"could not load the input's arguments in the container: {type(exc).__name__}: {exc}. Loading an"
            " argument's type failed there: the caller and the image may hold different versions of the library"
            " it comes from (pin the same version in both), or it cannot be re-created outside the caller")


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


def failure(exc: BaseException, cloudpickle) -> tuple[bytes, str]:
    """An input's failure: the exception for its caller (``exception_payload``), and its message,
    the one line and the traceback of the function's frames, for the server to keep and show
    (``TRACEBACK_MARK`` between them)."""
    payload, frames = _exception_payload(exc, cloudpickle)
    head = f"{type(exc).__name__}: {exc}".replace(P.TRACEBACK_MARK, " ")
    if not frames:
        return payload, head
    import traceback

    tb = "".join(["Traceback (most recent call last):\n"]
                 + [f'  File "{f}", line {n}, in {name}\n' + (f"    {line}\n" if line else "")
                    for f, n, name, line in frames]
                 + traceback.format_exception_only(type(exc), exc))
    if len(tb) > P.TRACEBACK_LIMIT:
        tb = "…\n" + tb[-P.TRACEBACK_LIMIT:]
    return payload, head + P.TRACEBACK_MARK + tb


def exception_payload(exc: BaseException, cloudpickle) -> bytes:
    """Serialise an exception for the client: the object itself when it pickles, else its text."""
    return _exception_payload(exc, cloudpickle)[0]


def _exception_payload(exc: BaseException, cloudpickle) -> tuple[bytes, list]:
    """The payload, and the function's frames (file, line, function, source) it holds."""
    import os
    import traceback

    shown = exc.__cause__ if isinstance(exc, ArgumentsNotLoaded) and exc.__cause__ else exc   # not our frames
    tb = "".join(traceback.format_exception(type(shown), shown, shown.__traceback__))
    own = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep   # leveret's own frames: not shown
    info = {
        "type": getattr(exc, "remote_type", "") or f"{type(exc).__module__}.{type(exc).__qualname__}",
        "message": str(exc),
        "traceback": tb,
        # (file, line, function, source) of the frames that are not Leveret's: the client shows them
        # at its own paths (_traceback.py)
        "frames": [(f.filename, f.lineno or 0, f.name, f.line or "")
                   for f in traceback.extract_tb(shown.__traceback__) if not f.filename.startswith(own)],
        "exc": None,
    }
    if isinstance(exc, ArgumentsNotLoaded):   # the client makes it its own DeserializationError
        return cloudpickle.dumps(info), info["frames"]
    try:
        blob = cloudpickle.dumps(exc)
        pickle.loads(blob)  # an exception that pickles but cannot load is as bad as none
        info["exc"] = blob
    except Exception:
        pass
    return cloudpickle.dumps(info), info["frames"]
