"""``leveret logs APP``: print an app's stored log lines (``-f`` to follow), filtered by the server."""

from __future__ import annotations

import time

import click

from .._output import LogPrinter
from .._shared.aio import run_sync
from .._shared.timespec import parse_time
from ..exception import Error


def _time_option(ctx, param, value):
    if value is None:
        return None
    try:
        return parse_time(value, time.time(), f"--{param.name}")
    except ValueError as exc:
        raise click.BadParameter(str(exc).removeprefix(f"--{param.name} "), ctx=ctx, param=param) from None


@click.command()
@click.argument("app")
@click.option("-f", "--follow", is_flag=True, help="Keep printing new lines until the app stops.")
@click.option("--function", "function_name", metavar="NAME", help="Only lines of this function.")
@click.option("--container", metavar="ID", help="Only lines of this container (ct-...).")
@click.option("--since", callback=_time_option, metavar="WHEN",
              help="Only lines written since: a duration back from now (30m, 1h, 2d) or a time (2026-11-28T10:00).")
@click.option("--until", callback=_time_option, metavar="WHEN", help="Only lines written until then (as --since).")
@click.option("--search", metavar="TEXT", help="Only lines containing TEXT (case-sensitive).")
@click.option("--tail", "-n", type=click.IntRange(min=1), metavar="N",
              help="Only the last N matching lines (then new ones, with -f).")
@click.option("--timestamps", is_flag=True, help="Start each line with its time.")
def logs(app: str, follow: bool, function_name: str | None, container: str | None, since: float | None,
         until: float | None, search: str | None, tail: int | None, timestamps: bool) -> None:
    """Print the log lines of APP (a name or an ap- id; a name means its latest run)."""
    if follow and until is not None:
        raise click.UsageError("--until ends the output and -f keeps it going: use one of them")
    if since is not None and until is not None and until < since:
        raise click.UsageError("--until is before --since: no line can match")
    from .._wire import api_pb2 as pb

    request = pb.LogsStreamRequest(follow=follow, history=True, function_name=function_name or "",
                                   container_id=container or "", since=since or 0.0, until=until or 0.0,
                                   search=search or "", tail=tail or 0)
    print_logs(app, request, timestamps)


def print_logs(app: str, request, timestamps: bool) -> None:
    try:
        run_sync(_print_logs(app, request, LogPrinter(timestamps=timestamps, verbose=True)))
    except Error as exc:
        raise click.ClickException(str(exc)) from None
    except KeyboardInterrupt:
        pass


async def _print_logs(app: str, request, printer: LogPrinter) -> None:
    from .._client import Client
    from .._wire import api_pb2 as pb

    client = await Client.get()
    found = await client.call("AppLookup", pb.AppLookupRequest(name_or_id=app))
    request.app_id = found.app_id
    stream = client.stub.LogsStream(request)
    try:
        async for resp in stream:
            printer.print_lines(resp.lines)
            if resp.app_done:
                return
    except Exception as exc:
        import grpc

        if isinstance(exc, grpc.aio.AioRpcError):
            raise client.translate(exc) from None
        raise
