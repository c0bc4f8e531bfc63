"""``leveret server``: the embedded daemon (start | stop | status) or a foreground server."""

from __future__ import annotations

import os
import sys
import time

import click

from .. import _daemon, config
from .._shared.listen import check_listen

PROGRESS_AFTER_S = 1.0   # `leveret server start` says what the daemon does once it takes longer than this


@click.group(invoke_without_command=True)
@click.option("--listen", default=None, help="Run a server in the foreground on HOST:PORT, e.g. 0.0.0.0:7070.")
@click.option("--db", default=None, help="Store URL: sqlite:///PATH or postgresql://USER@HOST/DB (default: $LEVERET_HOME/state.db).")
@click.option("--token", envvar="LEVERET_TOKEN", default=None, help="Token clients and workers must present (default: $LEVERET_HOME/token).")
@click.option("--worker-lease", type=click.FloatRange(min=0.5), default=None,
              help="Seconds a worker may stay silent before it is marked down and its inputs run elsewhere (default: 30).")
@click.option("--log-retention", default="7d", show_default=True, metavar="DURATION",
              help="Delete log lines older than this (30m, 12h, 7d, 2w).")
@click.option("--call-retention", default="7d", show_default=True, metavar="DURATION",
              help="Delete a finished call's inputs and outputs this long after it finished (or its app stopped);"
                   " a spawned call's results can be fetched until then.")
@click.option("--log-max-mb", type=click.IntRange(min=1), default=1024, show_default=True,
              help="Keep the stored log lines under this many MiB, deleting the oldest first.")
@click.option("--blob-dir", default=None, metavar="DIR",
              help="Where arguments and results over 2 MiB are kept (default: beside a SQLite --db, else"
                   " $LEVERET_HOME/blobs).")
@click.option("--http", "http_listen", default=None, metavar="HOST:PORT", callback=check_listen,
              help="The HTTP side: the dashboard (GET /), GET /metrics (Prometheus; the token as a bearer"
                   " token) and GET /healthz (default: the --listen host, its port + 1).")
@click.option("--direct-port", type=click.IntRange(min=0, max=65535), default=0, metavar="PORT",
              help="The port, on the --listen host, where clients make Dict calls without gRPC's framing"
                   " (default: any free one; clients ask the server for it).")
@click.option("--gateway", "gateway_listen", default=None, metavar="HOST:PORT", callback=check_listen,
              help="Where web functions answer HTTP requests, at /APP/LABEL (default: the --listen host, its"
                   " port + 2).")
@click.option("--gateway-domain", default="", metavar="DOMAIN",
              help="A wildcard DNS name for the gateway: web functions are APP--LABEL.DOMAIN too (their URLs then).")
@click.option("--gateway-tls", nargs=2, default=None, metavar="CERT KEY",
              help="Serve the gateway over HTTPS with this certificate chain (PEM) and its private key (default:"
                   " --tls-cert's, if given).")
@click.option("--tls-cert", default=None, metavar="FILE",
              help="Serve every side over TLS with this certificate chain (PEM): gRPC (clients and workers use"
                   " https://), the HTTP side (metrics, dashboard) and the gateway. With --tls-key. Clients trust"
                   " a CA of your own by LEVERET_CA, workers by --ca.")
@click.option("--tls-key", default=None, metavar="FILE", help="The private key (PEM) of --tls-cert.")
@click.pass_context
def server(ctx: click.Context, listen: str | None, db: str | None, token: str | None, worker_lease: float | None,
           log_retention: str, call_retention: str, log_max_mb: int, blob_dir: str | None,
           http_listen: str | None, direct_port: int, gateway_listen: str | None, gateway_domain: str,
           gateway_tls: tuple[str, str] | None, tls_cert: str | None, tls_key: str | None) -> None:
    """Run a server in the foreground (--listen), or manage the embedded daemon (start | stop | status)."""
    if ctx.invoked_subcommand is not None:
        if (listen or db or http_listen or blob_dir or direct_port or gateway_listen or gateway_tls or gateway_domain
                or tls_cert or tls_key):
            raise click.UsageError("--listen, --db, --blob-dir, --http, --direct-port, --gateway and --tls-cert run a"
                                   " foreground server; they do not go with a subcommand")
        return
    if not listen:
        click.echo(ctx.get_help())
        ctx.exit(0)
    if bool(tls_cert) != bool(tls_key):
        raise click.UsageError("--tls-cert and --tls-key go together: the certificate chain and its private key")
    retention_s = _duration(log_retention, "--log-retention")
    call_retention_s = _duration(call_retention, "--call-retention")
    import logging

    from ..server.dispatch import WORKER_LEASE_S
    from ..server.main import run as run_server
    from ..server.store.migrations import SchemaTooNew

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    token = token or config.ensure_token()
    db = db or "sqlite:///" + os.path.join(config.home(), "state.db")
    config.ensure_home()
    if blob_dir is None and db.startswith("postgres"):
        blob_dir = os.path.join(config.home(), "blobs")

    def ready(srv) -> None:
        click.echo(f"leveret server listening on {srv.url} (store {_without_password(db)}),"
                   f" metrics at {srv.http_url}/metrics, dashboard at {srv.http_url}/, web functions at"
                   f" {srv.gateway_url}/")
        ca = "  --ca CA_FILE" if srv.url.startswith("https://") else ""
        click.echo(f"join a worker:  leveret worker --server {srv.url} --token TOKEN{ca}   (a token per worker:"
                   " leveret token create NAME)")
        sys.stdout.flush()

    try:
        run_server(listen, db, token, ready, worker_lease or WORKER_LEASE_S,
                   log_retention_s=retention_s, log_max_bytes=log_max_mb * 1024 * 1024,
                   call_retention_s=call_retention_s, http_listen=http_listen, blob_dir=blob_dir,
                   direct_port=direct_port, gateway_listen=gateway_listen, gateway_tls=gateway_tls or None,
                   gateway_domain=gateway_domain, tls=(tls_cert, tls_key) if tls_cert else None)
    except (OSError, SchemaTooNew) as exc:   # its port is taken, its store is newer: one line that names the fix
        raise click.ClickException(str(exc)) from None
    except KeyboardInterrupt:   # before it handles SIGINT itself
        pass
    except Exception as exc:   # e.g. its store cannot be reached: the line says why, the traceback where
        logging.getLogger("leveret.server").exception("leveret server exiting: %s: %s", type(exc).__name__, exc)
        sys.exit(1)


@server.command()
def start() -> None:
    """Start the embedded daemon (server + one worker) under $LEVERET_HOME."""
    already = _daemon.status()
    began = time.monotonic()

    def progress(text: str) -> None:   # said only when the start takes a while (many inputs to restore)
        if time.monotonic() - began > PROGRESS_AFTER_S:
            click.echo(f"leveret daemon starting: {text}", err=True)

    info = _daemon.ensure_running(progress)
    click.echo(f"leveret daemon {'already running' if already else 'started'}: {info['url']} (pid {info['pid']}, home {config.home()})")


@server.command()
def stop() -> None:
    """Stop the embedded daemon; running apps are stopped."""
    if _daemon.stop():
        click.echo("leveret daemon stopped")
    else:
        click.echo("leveret daemon is not running")


@server.command()
def status() -> None:
    """Say whether the embedded daemon runs, and where."""
    info = _daemon.status()
    if info:
        click.echo(f"leveret daemon running: {info['url']} (pid {info['pid']}, worker pid {info['worker_pid']}, home {config.home()})")
        if info.get("http_url"):
            click.echo(f"metrics: {info['http_url']}/metrics, worker {info.get('worker_metrics_url', '')}/metrics"
                       f" (Authorization: Bearer <the token in {config.token_path()}>)")
    else:
        click.echo(f"leveret daemon is not running (home {config.home()}); `leveret server start` starts it")
        sys.exit(3)


def _duration(text: str, option: str) -> float:
    from .._shared.timespec import parse_duration

    try:
        return parse_duration(text, option)
    except ValueError as exc:
        raise click.BadParameter(str(exc).removeprefix(option + " "), param_hint=option) from None


def _without_password(url: str) -> str:
    """A store URL fit to print: postgresql://user:secret@host/db -> postgresql://user:***@host/db."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if not parts.password:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1)))
