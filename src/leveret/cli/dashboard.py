"""``leveret dashboard``: print (and open) the web dashboard's address, with a one-time login code."""

from __future__ import annotations

import os
import webbrowser
from urllib.parse import urlsplit, urlunsplit

import click

from .. import config


def dashboard_url() -> str:
    """The dashboard's login link: the server (the embedded daemon, started if needed, or the one
    configured) says where its HTTP side is and gives a code that logs a browser in once, within a
    minute; LEVERET_HTTP_URL names another address for it (a proxy's)."""
    from .._wire import api_pb2 as pb
    from .app import _call

    r = _call("DashboardLink", pb.DashboardLinkRequest())
    base = os.environ.get("LEVERET_HTTP_URL") or r.http_url
    parts = urlsplit(base)
    if parts.hostname in ("0.0.0.0", "::", ""):   # listening on every address: reach it as the server is reached
        server = config.explicit_server()
        host = urlsplit(server.url).hostname if server is not None else "127.0.0.1"
        base = urlunsplit((parts.scheme, f"{host}:{parts.port}", "", "", ""))
    return f"{base.rstrip('/')}/login?code={r.code}"


@click.command()
@click.option("--no-open", is_flag=True, help="Only print the address.")
def dashboard(no_open: bool) -> None:
    """Print the web dashboard's address (a login link that works once, within a minute) and open it
    in a browser."""
    url = dashboard_url()
    click.echo(url)
    if not no_open:
        webbrowser.open(url)
