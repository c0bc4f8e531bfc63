"""The container's socket to its worker: frames both ways (one sender at a time), and what the
function prints — ``sys.stdout`` and ``sys.stderr`` — sent as Log frames naming the input that
printed it, so a function's lines reach the worker before its output.
"""

from __future__ import annotations

import _contextvars as contextvars
import io
import threading
import time

from . import protocol as P

TYPE_CHECKING = False   # typing costs milliseconds to import
if TYPE_CHECKING:
    import socket

LOG_FLUSH_INTERVAL_S = 0.01

# The input whose code is running: each thread or task of a @concurrent function has its own.
CURRENT_INPUT = contextvars.ContextVar("leveret_input", default="")
# Threads the function starts have a context of their own: their prints go to the one input running,
# when one container runs one input at a time.
SOLE_INPUT = [""]


# The call of the input whose code is running (leveret.current_function_call_id()).
CURRENT_CALL = contextvars.ContextVar("leveret_call", default="")
SOLE_CALL = [""]


def current_call() -> str:
    return CURRENT_CALL.get() or SOLE_CALL[0]


def current_input() -> str:
    """The input whose code is running here ("" between inputs): the SDK names it in the calls that
    code makes, so they are cancelled with it."""
    return CURRENT_INPUT.get() or SOLE_INPUT[0]


class Channel:
    """The socket to the worker; sends are serialised by a lock (log flusher vs main thread).

    With ``rejoin_s`` (the worker can re-attach: ENV_REJOIN), the socket's end without a Stop is
    not the container's: whichever thread meets it connects again to ``path`` (where the worker
    that takes the place of a killed one listens) for up to ``rejoin_s`` seconds, says Rejoin with
    the inputs it holds, and goes on; a frame cut by the end is sent again whole. What the worker
    had not passed on of what was sent before is lost with it: the server runs those inputs again."""

    def __init__(self, sock: socket.socket, path: str = "", rejoin_s: float = 0.0):
        self.sock = sock
        self.path, self.rejoin_s = path, rejoin_s
        self.held: dict = {}      # the inputs it was sent and has not finished: id -> attempt (decimal), in order
        self.stopped = False      # a Stop came: the socket's end is the container's
        self._lock = threading.Lock()
        self._held = None   # signals blocked while the thread they may interrupt sends (hold_signals)
        self._ended: list = []   # sockets that ended (rejoin): another thread may still be reading one

    def close(self) -> None:
        for sock in (*self._ended, self.sock):
            sock.close()

    def hold_signals(self, signals: set, when) -> None:
        """Block ``signals`` while a thread that ``when()`` says they may interrupt now sends a frame:
        a handler that raises (a cancelled input's, cancel.py) then runs once the frame is whole,
        never in the middle of it."""
        import signal

        self._held, self._held_when = signals, when
        self._mask, self._block, self._unblock = signal.pthread_sigmask, signal.SIG_BLOCK, signal.SIG_UNBLOCK

    def send(self, msg: P.Message) -> None:
        data = P.encode(msg)
        if self._held is not None and self._held_when():
            try:   # a handler may run as the mask changes: the mask is put back whatever it raises
                self._mask(self._block, self._held)
                with self._lock:
                    self._sendall(data)
            finally:
                self._mask(self._unblock, self._held)
        else:
            with self._lock:
                self._sendall(data)
        if type(msg) is P.Outputs:
            for input_id, status in zip(msg.input_ids, msg.statuses):
                if status != P.STATUS_GENERATOR_ITEM:
                    self.held.pop(input_id, None)

    def _sendall(self, data: bytes) -> None:
        while True:
            sock = self.sock
            try:
                sock.sendall(data)
                return
            except OSError:
                if not self._rejoin(sock):
                    raise

    def recv(self) -> P.Message:
        while True:
            sock = self.sock
            try:
                msg = P.recv_message(sock)
            except (EOFError, OSError):
                with self._lock:
                    if not self._rejoin(sock):
                        raise
                continue
            kind = type(msg)
            if kind is P.Inputs:
                self.held.update(zip(msg.input_ids, map(str, msg.attempts)))
            elif kind is P.Stop:
                self.stopped = True
            return msg

    def _rejoin(self, broken) -> bool:
        """(The send lock held.) Connected again after ``broken`` ended, or False: no worker took its
        place in time, or none may (a Stop came, or the worker cannot re-attach)."""
        if self.sock is not broken:
            return True   # another thread did
        if self.stopped or self.rejoin_s <= 0:
            return False
        import _socket

        try:   # (never closed here: another thread may be reading it; this wakes it)
            broken.shutdown(_socket.SHUT_RDWR)
        except OSError:
            pass
        self._ended.append(broken)
        deadline, delay = time.monotonic() + self.rejoin_s, 0.05
        while time.monotonic() < deadline:
            sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
            try:
                sock.connect(self.path)
                sock.sendall(P.encode(P.Rejoin(dict(self.held))))
            except OSError:
                sock.close()
                time.sleep(delay)
                delay = min(2 * delay, 1.0)
                continue
            self.sock = sock
            return True
        return False

    def readable(self, timeout: float) -> bool:
        """Whether a frame starts arriving within ``timeout`` seconds (recv then reads all of it)."""
        import select

        return bool(select.select([self.sock], [], [], timeout)[0])


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


def flush_forever(writers: list) -> None:
    while True:
        time.sleep(LOG_FLUSH_INTERVAL_S)
        for w in writers:
            w.flush()
