"""Where code is running: on the caller's machine (``is_local``) or in a container, and there,
which input and call it runs for (``current_input_id``, ``current_function_call_id``: the
bootstrap's, per thread or task; None outside an input)."""

from __future__ import annotations

import sys

BOOTSTRAP_CHANNEL = "_leveret_container.channel"   # the bootstrap's module (its package has a private name)


def is_local() -> bool:
    """True on the machine that runs the app; False inside its containers."""
    from ._container_client import socket_path

    return socket_path() is None


def current_input_id() -> str | None:
    """The id of the input this code runs for, in a container (None elsewhere, or between inputs)."""
    channel = sys.modules.get(BOOTSTRAP_CHANNEL)
    return (channel.current_input() or None) if channel is not None else None


def current_function_call_id() -> str | None:
    """The id of the call (``fc-…``) whose input this code runs for, in a container (None elsewhere)."""
    channel = sys.modules.get(BOOTSTRAP_CHANNEL)
    return (channel.current_call() or None) if channel is not None else None
