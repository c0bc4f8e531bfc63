"""A gRPC channel to the server with the bearer token attached, and errors mapped to exceptions."""

from __future__ import annotations

import functools

import grpc

from .._shared import errors as exception
from . import api_pb2_grpc
from .statuses import error_of

MAX_MESSAGE_BYTES = 256 * 1024 * 1024
OPTIONS = [
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.max_pings_without_data", 0),
    # A server that went away (a restart) is tried again soon, not after gRPC's default minutes.
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 2000),
]


def target_of(url: str) -> str:
    """``http(s)://host:port`` or ``host:port`` → the gRPC target ``host:port``."""
    for scheme in ("http://", "https://", "grpc://"):
        if url.startswith(scheme):
            return url[len(scheme):].rstrip("/")
    return url.rstrip("/")


def trusted_cas(ca: str | None = None) -> bytes | None:
    """The CA certificates a client trusts a server over TLS by: the file ``ca``, else LEVERET_CA's,
    else None (the system's)."""
    import os

    path = ca or os.environ.get("LEVERET_CA", "")
    if not path:
        return None
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        raise exception.InvalidError(f"cannot read the CA file {path} (LEVERET_CA, or --ca): {exc.strerror or exc}")


class Stub:
    """The generated stub with the bearer token attached to every call (no interceptor on the hot path)."""

    def __init__(self, channel: grpc.aio.Channel, token: str):
        stub = api_pb2_grpc.LeveretStub(channel)
        md = (("authorization", f"Bearer {token}"),)
        for name, method in vars(stub).items():
            setattr(self, name, functools.partial(method, metadata=md))


def open_channel(url: str, token: str, *, extra_options: list[tuple] = (),
                 ca: str | None = None) -> tuple[grpc.aio.Channel, Stub]:
    """A channel to ``url``: over TLS for https://, trusting ``ca`` (a file; else LEVERET_CA's, else the
    system's CAs)."""
    options = OPTIONS + list(extra_options)
    if url.startswith("https://"):
        credentials = grpc.ssl_channel_credentials(root_certificates=trusted_cas(ca))
        channel = grpc.aio.secure_channel(target_of(url), credentials, options=options)
    else:
        channel = grpc.aio.insecure_channel(target_of(url), options=options)
    return channel, Stub(channel, token)


def translate(err: grpc.aio.AioRpcError, url: str) -> exception.Error:
    """Turn an RPC error into the Leveret exception a user can act on."""
    return error_for(err.code(), err.details() or "", url)


def error_for(code: grpc.StatusCode, details: str, url: str) -> exception.Error:
    """The Leveret exception of an RPC's status and message."""
    return error_of(code.value[0], details, url)
