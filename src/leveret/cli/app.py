"""``leveret app list | describe | stop | history | rollback``: the apps a server runs, and deployments' versions."""

from __future__ import annotations

import time

import click

from .._shared.aio import run_sync
from ..exception import Error


@click.group()
def app() -> None:
    """List, stop and roll back apps."""


def _call(method: str, request):
    from .._client import Client

    async def go():
        client = await Client.get()
        return await client.call(method, request)

    try:
        return run_sync(go())
    except Error as exc:
        raise click.ClickException(str(exc)) from None


JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")


def show_list(items, as_json: bool, *, empty: str, header: str | None, row) -> None:
    """A list command's output: JSON lines, a line saying there is nothing, or a header and rows."""
    if as_json:
        emit_json(items)
    elif not items:
        click.echo(empty)
    else:
        if header:
            click.echo(header)
        for item in items:
            click.echo(row(item))


def emit_json(messages) -> None:
    """Protobuf messages as JSON, one object per line (for scripts: `leveret app list --json | jq`)."""
    import json

    from google.protobuf.json_format import MessageToDict

    for m in messages:
        click.echo(json.dumps(MessageToDict(m, preserving_proto_field_name=True, always_print_fields_with_no_presence=True)))


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts)) if ts else "-"


_STATE = {1: "ephemeral", 2: "stopped", 3: "deployed"}


def _row(a) -> str:
    version = f"v{a.version}" if a.version else "-"
    state = "deployed (live)" if a.live else ("draining" if a.state == 3 else _STATE.get(a.state, "?"))
    functions = ", ".join([*(f"{f} {a.web_urls[f]}" if f in a.web_urls else f for f in a.functions),
                           *(f"{m} {url}" for m, url in sorted(a.web_urls.items()) if m not in a.functions)])
    return f"{a.app_id:<26} {a.name:<20} {version:<6} {state:<16} {_when(a.created_at):<20} {functions}"


HEADER = f"{'APP ID':<26} {'NAME':<20} {'VER':<6} {'STATE':<16} {'CREATED':<20} FUNCTIONS"


@app.command("list")
@click.option("--all", "show_all", is_flag=True, help="Stopped apps too.")
@click.option("--env", "environment", default=None, help="Only the apps of this environment (NAME@ENV; main: no @).")
@JSON_OPTION
def list_apps(show_all: bool, environment: str | None, as_json: bool) -> None:
    """The running apps (ephemeral runs and deployments), newest first; an app of an environment
    other than main is NAME@ENV."""
    from .._wire import api_pb2 as pb

    apps = _call("AppList", pb.AppListRequest(all=show_all)).apps
    if environment:
        apps = [a for a in apps if a.name.partition("@")[2] == ("" if environment == "main" else environment)]
    show_list(apps, as_json,
              empty="no apps" + ("" if show_all else " running (--all shows stopped ones)"), header=HEADER, row=_row)


@app.command()
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="As one JSON object.")
def describe(name: str, as_json: bool) -> None:
    """App NAME (running, else the newest of that name, or an ap- id; stopped too while the server keeps
    its calls): its state and what each of its functions did."""
    from .._wire import api_pb2 as pb

    d = _call("AppDescribe", pb.AppDescribeRequest(app_name_or_id=name))
    if as_json:
        emit_json([d])
        return
    a = d.app
    click.echo(HEADER + "\n" + _row(a))
    if a.stopped_at:
        click.echo(f"stopped {_when(a.stopped_at)}: {a.stop_reason}")
    for f in d.functions:
        s = f.stats
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(s.outputs_by_status.items())) or "no results"
        now = f"; now {s.queued} queued, {s.running} running" if s.queued or s.running else ""
        click.echo(f"  {f.name:<24} {s.inputs} input(s): {outcomes}{now}; p50 {s.latency_p50_s * 1000:.0f} ms,"
                   f" {s.containers_started} container(s) started")
    click.echo(f"`leveret function calls {a.name} FUNCTION [--failed]` lists a function's inputs")


@app.command()
@click.argument("name")
@JSON_OPTION
def history(name: str, as_json: bool) -> None:
    """Every deployed version of NAME, newest first."""
    from .._wire import api_pb2 as pb

    versions = _call("AppHistory", pb.AppHistoryRequest(name=name)).versions   # an unknown name: its error alone
    if as_json:
        emit_json(versions)
        return
    click.echo(HEADER + "  DESCRIPTION")
    for v in versions:
        stopped = f"  stopped {_when(v.stopped_at)}: {v.stop_reason}" if v.stopped_at else ""
        click.echo(f"{_row(v)}  {v.description}{stopped}")


@app.command()
@click.argument("name")
def stop(name: str) -> None:
    """Stop app NAME (a deployment's live version, a run, or an ap- id)."""
    from .._wire import api_pb2 as pb

    found = _call("AppLookup", pb.AppLookupRequest(name_or_id=name))
    if found.state == pb.APP_STATE_STOPPED:
        raise click.ClickException(f"app {name} is not running")
    resp = _call("AppStop", pb.AppStopRequest(app_id=found.app_id, reason="stopped with `leveret app stop`"))
    click.echo(f"stopped {found.name} ({found.app_id}); {resp.cancelled_inputs} input(s) were cancelled")


@app.command()
@click.argument("name")
@click.argument("version", type=click.IntRange(min=1), required=False)
def rollback(name: str, version: int | None) -> None:
    """Deploy again the functions of an earlier VERSION of NAME (default: the one before the live one),
    as a new version."""
    from .._wire import api_pb2 as pb

    r = _call("AppRollback", pb.AppRollbackRequest(name=name, version=version or 0))
    click.echo(f"rolled {name} back to the functions of version {r.from_version}: now version {r.version} ({r.app_id})")


def _logs_command() -> click.Command:
    from .logs import logs

    return logs


app.add_command(_logs_command(), "logs")   # `leveret app logs APP`, as Modal's: the same as `leveret logs APP`
