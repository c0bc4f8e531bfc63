"""gRPC's status codes, by number, as the exceptions a user sees: without importing grpc (a
container's SDK reads the direct port's replies with it)."""

from __future__ import annotations

import re

from .._shared import errors as exception


def error_of(status: int, details: str, url: str) -> exception.Error:
    """The Leveret exception of a gRPC status code (its number: the direct port's replies carry it,
    and a container's SDK has no need of grpc to read them)."""
    if status == 14 and "handshake" in details.lower():
        return exception.ConnectionError(
            f"cannot speak TLS with the server at {url} ({_tls_reason(details)}): if its certificate is signed by a CA"
            " of your own, set LEVERET_CA to that CA's file (a worker: --ca); if the server runs without TLS, use"
            " its http:// URL")
    if status == 14:   # UNAVAILABLE
        return exception.ConnectionError(
            f"cannot reach a Leveret server at {url}: start one with `leveret server start`"
            " (or point LEVERET_SERVER_URL at a running server)"
        )
    if status in (16, 7):   # UNAUTHENTICATED, PERMISSION_DENIED
        return exception.AuthError(f"the server at {url} refused the token: {details}")
    if status == 5:
        return exception.NotFoundError(details)
    if status == 6:
        return exception.AlreadyExistsError(details)
    if status in (3, 9):   # INVALID_ARGUMENT, FAILED_PRECONDITION
        return exception.InvalidError(details)
    if status == 8:   # RESOURCE_EXHAUSTED
        return exception.ResourceExhaustedError(details)
    return exception.Error(f"{_NAMES.get(status, status)}: {details}")


def _tls_reason(details: str) -> str:
    """gRPC's reason for a failed handshake: its OpenSSL reason and text (CERTIFICATE_VERIFY_FAILED:
    unable to get local issuer certificate), else its message whole."""
    match = re.search(r"OPENSSL_internal:([A-Z_]+)(: [^:]+)?", details)
    return f"{match.group(1)}{match.group(2) or ''}" if match else details


_NAMES = dict(enumerate((
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
    "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
    "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED")))   # gRPC's status codes, by number
