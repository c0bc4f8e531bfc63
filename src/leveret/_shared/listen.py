"""``HOST:PORT`` addresses of the HTTP sides (``--http``, ``--metrics``), checked and bound without
importing the web stack (the CLI loads this on every command; a server binds its HTTP port at once
and imports aiohttp to serve it after it is up)."""

from __future__ import annotations

import socket


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
            import click

            raise click.BadParameter(str(exc)) from None
    return value


def bind(listen: str) -> socket.socket:
    """A TCP socket listening on ``listen`` (port 0: a free one), for a server to serve later;
    OSError if the address is taken."""
    host, port = split_listen(listen)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family, backlog=128)
