"""``leveret dashboard``: print (and open) the web dashboard's address, logged in with the token."""

from __future__ import annotations

import os
import webbrowser
from urllib.parse import quote, urlsplit, urlunsplit

import click

from .. import config


def dashboard_url() -> str:
    """The dashboard's login link: LEVERET_HTTP_URL, else the embedded daemon's HTTP side (started if
    needed), else the server at LEVERET_SERVER_URL with its port + 1 (the server's default)."""
    server = config.explicit_server()
    if server is None:
        from .. import _daemon

        info = _daemon.ensure_running()
        base, token = info["http_url"], config.ensure_token()
    else:
        token = server.token
        base = os.environ.get("LEVERET_HTTP_URL", "")
        if not base:
            parts = urlsplit(server.url)
            base = urlunsplit(("http", f"{parts.hostname}:{(parts.port or 80) + 1}", "", "", ""))
    return f"{base.rstrip('/')}/login?token={quote(token, safe='')}"


@click.command()
@click.option("--no-open", is_flag=True, help="Only print the address.")
def dashboard(no_open: bool) -> None:
    """Print the web dashboard's address (with the token, as a login link) and open it in a browser."""
    url = dashboard_url()
    click.echo(url)
    if not no_open:
        webbrowser.open(url)
