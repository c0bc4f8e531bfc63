"""``HOST:PORT`` addresses of the HTTP sides (``--http``, ``--metrics``), checked without importing
the web stack (the CLI loads this on every command)."""

from __future__ import annotations

import click


def split_listen(listen: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::]:PORT`` for IPv6) to (host, port); ValueError naming the form otherwise."""
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"{listen!r} is not HOST:PORT, e.g. 127.0.0.1:7071")
    return host.strip("[]") or "0.0.0.0", int(port)


def check_listen(ctx, param, value: str | None) -> str | None:
    """A click callback for HOST:PORT options."""
    if value:
        try:
            split_listen(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None
    return value
