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
container's SDK speaks the same frames to its worker, with JSON for messages (its image may have no
protobuf): _container_client.RelayClient; the worker relays them (worker/direct_relay.py).
"""

from __future__ import annotations

import socket

from .._shared.direct_frames import FrameClient, Refused, hello
from . import api_pb2 as pb
from .statuses import error_of


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
        return getattr(pb, method + "Response").FromString(payload)

    def call_fields(self, method: str, fields: dict) -> dict:
        """``call`` with the request as its fields (bytes as bytes), the response as protobuf's JSON
        mapping (as the SDK's object_call gives it)."""
        from google.protobuf import json_format

        response = self.call(method, getattr(pb, method + "Request")(**fields))
        return json_format.MessageToDict(response, preserving_proto_field_name=True,
                                         always_print_fields_with_no_presence=True)
