"""The direct port: a few hot unary RPCs (a Dict's) on a plain TCP connection beside gRPC, without
HTTP/2's framing and per-call streams; the server answers them with the same methods as on gRPC
(server/api/direct.py): a Dict get costs a quarter of what it does by gRPC.

    client ─hello: "Bearer <token>"─▶ OK ─▶ requests, each [id, method, request bytes]
           ◀─ replies, each [id, status, response bytes, or the refusal's message]
    a wrong token: UNAUTHENTICATED, then the server closes the connection

Every frame is its body's length (4 bytes, big-endian), then the body: a request's is its id
(4 bytes), its method's name (1 byte of length, then ASCII) and the request message; a reply's is
the id, a status (1 byte: 0, or a gRPC status code) and the response message or the message of the
refusal (UTF-8). Requests on one connection may run at once; replies name the request they answer.

``DirectClient`` makes blocking calls from whatever thread asks, a connection per thread. A
container's SDK speaks the same frames on a connection its worker opens and hands it
(worker/direct_handover.py), the messages written by a schema that comes with it (``wire_schema``;
_shared/protowire.py): its image may have no protobuf.
"""

from __future__ import annotations

import socket
from collections.abc import MutableSequence

from google.protobuf.descriptor import FieldDescriptor as F
from google.protobuf.message import Message

from .._shared.direct_frames import FrameClient, Refused, hello
from . import api_pb2 as pb
from .statuses import error_of

METHODS = frozenset({"DictUpdate", "DictGet", "DictLen", "DictContents", "QueuePut", "QueueGet", "QueueLen",
                     "QueueClear"})   # what the direct port serves


def reaches(unix_address: str) -> bool:
    """Whether a unix socket (an abstract one: after a NUL) takes connections from here."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(unix_address)
        return True
    except OSError:
        return False
    finally:
        sock.close()


class DirectClient(FrameClient):
    """Blocking calls on a server's direct port (a connection per thread: FrameClient):
    ``call("DictGet", request)`` → the response message."""

    def __init__(self, address: tuple[str, int] | str, token: str, url: str):
        super().__init__(address, hello(token))
        self.url = url   # what errors name

    def call(self, method: str, request):
        """The response, or the refusal as the SDK's exception; Lost if the connection broke (and
        could not be made again at once)."""
        try:
            payload = self.exchange(method, request.SerializeToString())
        except Refused as exc:
            raise error_of(exc.status, exc.message, self.url) from None
        return _RESPONSES[method].FromString(payload)

    def call_fields(self, method: str, fields: dict) -> "Fields":
        """``call`` with the request as its fields (bytes as bytes), the response as its fields by
        name (_rpc_op.py reads them)."""
        return Fields(self.call(method, _REQUESTS[method](**fields)))


class Fields:
    """A message's fields by name, as protobuf gives them (bytes as bytes; a message as Fields, a
    list of messages as a list of Fields): what an _rpc_op reads, cheaper than the JSON mapping."""

    __slots__ = ("_message",)

    def __init__(self, message: Message):
        self._message = message

    def __getitem__(self, name: str):
        value = getattr(self._message, name)
        if isinstance(value, Message):
            return Fields(value)
        if isinstance(value, MutableSequence) and value and isinstance(value[0], Message):
            return [Fields(m) for m in value]
        return value


class _ByName(dict):
    """A message class by method name (``"DictGet"`` → ``pb.DictGetRequest``), looked up once."""

    def __init__(self, suffix: str):
        super().__init__()
        self.suffix = suffix

    def __missing__(self, method: str):
        cls = self[method] = getattr(pb, method + self.suffix)
        return cls


_REQUESTS, _RESPONSES = _ByName("Request"), _ByName("Response")


_KINDS = {F.TYPE_STRING: "string", F.TYPE_BYTES: "bytes", F.TYPE_BOOL: "bool", F.TYPE_UINT32: "uint",
          F.TYPE_UINT64: "uint", F.TYPE_INT32: "int", F.TYPE_INT64: "int", F.TYPE_DOUBLE: "double",
          F.TYPE_FLOAT: "float"}


def wire_schema(methods) -> dict:
    """The layouts of the methods' requests and responses (and the messages in them), as
    _shared/protowire.py writes and reads them; ValueError for a field of a kind it cannot."""
    schema: dict = {}

    def add(descriptor) -> None:
        if descriptor.name in schema:
            return
        layout = schema[descriptor.name] = {}
        for f in descriptor.fields:
            if f.type == F.TYPE_MESSAGE and f.message_type.GetOptions().map_entry:
                raise ValueError(f"{descriptor.name}.{f.name}: a map, which protowire does not read as one")
            if f.type == F.TYPE_MESSAGE:
                kind = "m:" + f.message_type.name
                add(f.message_type)
            elif f.type in _KINDS:
                kind = _KINDS[f.type]
            else:
                raise ValueError(f"{descriptor.name}.{f.name}: a field of type {f.type}, which protowire cannot write")
            layout[f.name] = [f.number, kind, f.is_repeated]

    for method in sorted(methods):
        add(_REQUESTS[method].DESCRIPTOR)
        add(_RESPONSES[method].DESCRIPTOR)
    return schema
