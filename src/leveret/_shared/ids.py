"""Typed ids: every id carries its kind as a prefix (``ap-``, ``fu-``, ``in-``, ...)."""

from __future__ import annotations

from .errors import InvalidError

KINDS = {
    "ap": "app",
    "fu": "function",
    "fc": "function call",
    "in": "input",
    "ct": "container",
    "wk": "worker",
    "mo": "mount",
    "wt": "worker token",
    "pk": "proxy token",
    "ut": "user token",
    "tu": "tunnel",   # its id is the Modal-Key header of requests to web functions with requires_proxy_auth
    "ex": "exec",
    "sb": "sandbox",
    "mn": "image mount (a sandbox's mount_image)",
    "sn": "snapshot",
    "bl": "blob",
    "dp": "deployed app",   # a deployed app's name, the same across its versions (each version is an ap-)
    "st": "secret",
    "di": "dict",
    "qu": "queue",
    "vo": "volume",
}


def new_id(prefix: str) -> str:
    import secrets

    assert prefix in KINDS, prefix
    return f"{prefix}-{secrets.token_hex(8)}"


def check_id(value: str, prefix: str) -> str:
    """Return ``value`` if it is an id of kind ``prefix``, else raise a readable error."""
    if not isinstance(value, str) or not value.startswith(prefix + "-") or len(value) <= len(prefix) + 1:
        raise InvalidError(f"{value!r} is not a {KINDS[prefix]} id: {KINDS[prefix]} ids look like '{prefix}-1a2b3c4d5e6f7a8b'")
    return value
