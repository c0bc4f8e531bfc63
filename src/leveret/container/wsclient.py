"""A WebSocket to a web_server function's own server (web.py's server kind): the input holds it for
its life, relaying messages between the gateway (feeds.py in, items out: asgi.py's WebSocket
forms) and the server on 127.0.0.1:PORT, which it speaks to as a client (RFC 6455).

    the handshake: the client's GET with its headers (not those of one hop, nor compression's)
        ─▶ 101: the ("accept", subprotocol, []) item; another status: that answer, refused
    the server's frames ─▶ str / bytes items (fragments joined; a ping answered) ─▶ a close: the
        ("close", code, reason) item, the end
    the gateway's messages (b"t" + text, b"b" + bytes, b"c" + code: the last) ─▶ masked frames, on
        a thread of their own; each one sent is a credit item of its size (asgi.py's WebSocket:
        WINDOW once accepted), told to the relay through a pipe it waits on beside the socket

Standard library only, as the rest of the bootstrap.
"""

from __future__ import annotations

import base64
import os
import select
import socket
import struct
import threading

from . import feeds
from .asgi import HOP_BY_HOP, WINDOW

_CREDIT = struct.Struct("!Q")

TEXT, BINARY, CLOSE, PING, PONG, CONTINUATION = 0x1, 0x2, 0x8, 0x9, 0xA, 0x0
# Not passed to the server: one hop's, and the handshake's own (this client makes its own; no compression)
_NOT_PASSED = HOP_BY_HOP | {b"host", b"sec-websocket-key", b"sec-websocket-version", b"sec-websocket-extensions"}


def relay(port: int, scope: dict, input_id: str):
    """The items of a WebSocket relayed to the server on ``port`` (a generator: the input's answer)."""
    sock = socket.create_connection(("127.0.0.1", port))
    pipes: list = []
    try:
        status, headers, rest = _handshake(sock, port, scope)
        if status != 101:
            yield status, [(k, v) for k, v in headers if k not in _NOT_PASSED]
            return
        chosen = dict(headers).get(b"sec-websocket-protocol", b"").decode("latin-1").strip() or None
        yield "accept", chosen, []
        yield WINDOW
        lock = threading.Lock()   # frames go whole: the feed's thread and pongs from here
        feed = feeds.open_feed(input_id)
        credits, told = os.pipe()   # what the feed's thread sent on, in bytes (it closes its end)
        pipes.append(credits)
        threading.Thread(target=_pass_feed, args=(feed, sock, lock, told), daemon=True,
                         name=f"leveret-ws-{input_id}").start()
        reader = _Reader(sock, rest)
        message, kind = bytearray(), TEXT
        while True:
            sent_on = reader.wait(credits)
            if sent_on:
                yield sent_on
                continue
            fin, opcode, payload = reader.frame()
            if opcode == PING:
                _send(sock, lock, PONG, payload)
            elif opcode == CLOSE:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                yield "close", code, payload[2:].decode(errors="replace")
                return
            elif opcode in (TEXT, BINARY, CONTINUATION):
                if opcode != CONTINUATION:
                    message, kind = bytearray(), opcode
                message += payload
                if fin:
                    yield message.decode() if kind == TEXT else bytes(message)
    finally:
        sock.close()
        feeds.put(input_id, b"", True)   # the feed's thread, if it waits, ends too
        for fd in pipes:
            os.close(fd)


def _handshake(sock: socket.socket, port: int, scope: dict) -> tuple[int, list, bytes]:
    target = scope.get("raw_path", scope["path"].encode()).decode("latin-1") or "/"
    if scope.get("query_string"):
        target += "?" + scope["query_string"].decode("latin-1")
    lines = [f"GET {target} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Upgrade: websocket", "Connection: Upgrade",
             f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}", "Sec-WebSocket-Version: 13"]
    lines += [f"{k.decode('latin-1')}: {v.decode('latin-1')}" for k, v in scope.get("headers", ())
              if k.lower() not in _NOT_PASSED and k.lower() != b"sec-websocket-protocol"]
    if scope.get("subprotocols"):
        lines.append("Sec-WebSocket-Protocol: " + ", ".join(scope["subprotocols"]))
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the web server closed the connection during the WebSocket handshake")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.split(b"\r\n")
    headers = [(k.strip().lower(), v.strip()) for k, _, v in (line.partition(b":") for line in header_lines)]
    return int(status_line.split()[1]), headers, rest


class _Reader:
    def __init__(self, sock: socket.socket, buffered: bytes):
        self.sock, self.buf = sock, bytearray(buffered)

    def wait(self, credits: int) -> int:
        """0 once a frame may be read; before that, the bytes the pipe ``credits`` says were sent on."""
        if self.buf:
            return 0
        readable, _, _ = select.select([self.sock, credits], [], [])
        if credits not in readable:
            return 0
        data = os.read(credits, 8 * 1024)
        while len(data) % _CREDIT.size:   # (a credit's 8 bytes are written at once: never split)
            data += os.read(credits, _CREDIT.size - len(data) % _CREDIT.size)
        return sum(n for (n,) in _CREDIT.iter_unpack(data))

    def _take(self, n: int) -> bytes:
        while len(self.buf) < n:
            chunk = self.sock.recv(max(65536, n - len(self.buf)))
            if not chunk:
                raise ConnectionError("the web server closed the WebSocket without a close frame")
            self.buf += chunk
        taken, self.buf[:n] = bytes(self.buf[:n]), b""
        return taken

    def frame(self) -> tuple[bool, int, bytes]:
        first, second = self._take(2)
        length = second & 0x7F
        if length == 126:
            length = struct.unpack("!H", self._take(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", self._take(8))[0]
        mask = self._take(4) if second & 0x80 else b""
        payload = self._take(length)
        return bool(first & 0x80), first & 0x0F, _masked(payload, mask) if mask else payload


def _masked(data: bytes, mask: bytes) -> bytes:
    n = len(data)
    whole = mask * (n // 4 + 1)
    return (int.from_bytes(data, "big") ^ int.from_bytes(whole[:n], "big")).to_bytes(n, "big") if n else b""


def _send(sock: socket.socket, lock: threading.Lock, opcode: int, payload: bytes) -> None:
    n = len(payload)
    head = bytes([0x80 | opcode])
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 1 << 16:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    mask = os.urandom(4)   # a client's frames are masked
    with lock:
        sock.sendall(head + mask + _masked(payload, mask))


def _pass_feed(feed, sock: socket.socket, lock: threading.Lock, told: int) -> None:
    """The gateway's messages to the server, until the client's close (or the socket's end); each
    one's size, once sent, on the pipe ``told`` (a credit)."""
    try:
        while True:
            data, end = feed.get()
            tag, rest = data[:1], data[1:]
            if tag == b"t":
                _send(sock, lock, TEXT, rest)
            elif tag == b"b":
                _send(sock, lock, BINARY, rest)
            if data:
                os.write(told, _CREDIT.pack(len(data)))
            if end or tag == b"c":
                code = int(rest) if tag == b"c" and rest.isdigit() and int(rest) not in (1005, 1006) else 1000
                _send(sock, lock, CLOSE, struct.pack("!H", code))
                return
    except OSError:
        pass
    finally:
        feed.close()
        os.close(told)
