"""``leveret logs APP``: print an app's stored log lines (``-f`` to follow)."""

from __future__ import annotations

import click

from .._output import LogPrinter
from .._utils.async_utils import run_sync
from ..exception import Error


@click.command()
@click.argument("app")
@click.option("-f", "--follow", is_flag=True, help="Keep printing new lines until the app stops.")
@click.option("--timestamps", is_flag=True, help="Start each line with its time.")
def logs(app: str, follow: bool, timestamps: bool) -> None:
    """Print the log lines of APP (a name or an ap- id; a name means its latest run)."""
    try:
        run_sync(_print_logs(app, follow, LogPrinter(timestamps=timestamps)))
    except Error as exc:
        raise click.ClickException(str(exc)) from None
    except KeyboardInterrupt:
        pass


async def _print_logs(app: str, follow: bool, printer: LogPrinter) -> None:
    from .._client import Client
    from .._wire import api_pb2 as pb

    client = await Client.get()
    found = await client.call("AppLookup", pb.AppLookupRequest(name_or_id=app))
    stream = client.stub.LogsStream(pb.LogsStreamRequest(app_id=found.app_id, follow=follow, history=True))
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
