"""``leveret function describe APP FUNC``: a function's containers, backlog, and why it waits."""

from __future__ import annotations

import time

import click

from .._shared.aio import run_sync
from ..exception import Error


@click.group()
def function() -> None:
    """Inspect functions: of running and deployed apps, and of stopped ones while the server keeps
    their calls."""


@function.command()
@click.argument("app")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="As one JSON object.")
def describe(app: str, name: str, as_json: bool) -> None:
    """Show function NAME of APP (a name or an ap- id): containers, backlog, pending reasons, scale events."""
    try:
        d = run_sync(_describe(app, name))
    except Error as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        from .app import emit_json

        emit_json([d])
        return
    click.echo(format_description(d, time.time()))


async def _describe(app: str, name: str):
    from .._client import Client
    from .._wire import api_pb2 as pb

    client = await Client.get()
    return await client.call("FunctionDescribe", pb.FunctionDescribeRequest(app_name_or_id=app, function_name=name))


def format_description(d, now: float) -> str:
    version = f" v{d.version}" if d.version else ""
    lines = [f"function {d.app_name}{version}/{d.function_name} ({d.function_id}, app {d.app_id})"]
    if d.app_state == "stopped":
        lines.append("  app:        stopped: `leveret function stats` and `calls` say what its inputs did")
    lines += [f"  settings:   {d.settings}",
             f"  backlog:    {d.queued} queued, {d.running} running"]
    if d.schedule:
        lines.append(f"  schedule:   {d.schedule}")
    if d.backoff:
        lines.append(f"  backoff:    {d.backoff}")
    for reason in d.pending:
        lines.append(f"  pending:    {reason}")
    lines.append(f"  containers: {len(d.containers) or 'none'}")
    for c in d.containers:
        idle = f", idle {c.idle_s:.0f} s" if c.idle_s else ""
        lines.append(f"    {c.container_id}  {c.state:<8} on {c.worker_id}  running {c.running}{idle}, up {c.age_s:.0f} s")
    if d.events:
        lines.append("  recent scale events:")
        for e in d.events:
            lines.append(f"    {now - e.ts:6.0f} s ago  {e.text}")
    return "\n".join(lines)



@function.command()
@click.argument("app")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="As one JSON object.")
def stats(app: str, name: str, as_json: bool) -> None:
    """What function NAME of APP did (a running app's, else the newest of that name, stopped too):
    results by status, latency percentiles, containers, cold starts."""
    from .._wire import api_pb2 as pb
    from .app import _call, emit_json

    s = _call("FunctionStats", pb.FunctionStatsRequest(app_name_or_id=app, function_name=name))
    if as_json:
        emit_json([s])
        return
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(s.outputs_by_status.items())) or "none yet"
    click.echo(f"function {app}/{name} ({s.function_id})\n"
               f"  inputs:      {s.inputs} ({outcomes}); now {s.queued} queued, {s.running} running\n"
               f"  latency:     p50 {s.latency_p50_s * 1000:.1f} ms, p95 {s.latency_p95_s * 1000:.1f} ms,"
               f" p99 {s.latency_p99_s * 1000:.1f} ms (queued to result)\n"
               f"  containers:  {s.containers} running, {s.containers_started} started,"
               f" cold start p50 {s.cold_start_p50_s * 1000:.1f} ms")


@function.command()
@click.argument("app")
@click.argument("name")
@click.option("--failed", is_flag=True, help="Only inputs that failed (an error, a timeout, out of memory, a crash).")
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True, help="Inputs shown, newest first.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def calls(app: str, name: str, failed: bool, limit: int, as_json: bool) -> None:
    """The inputs of function NAME of APP, newest first: status, attempt, duration, error. `leveret call
    show fc-…` shows a call's tracebacks; `leveret call replay in-…` runs an input again."""
    from .._wire import api_pb2 as pb
    from .app import _call, show_list

    r = _call("FunctionCalls", pb.FunctionCallsRequest(app_name_or_id=app, function_name=name, failed=failed,
                                                        limit=limit))
    show_list(r.inputs, as_json, empty=f"no {'failed ' if failed else ''}inputs of {app}/{name} are kept",
              header=INPUTS_HEADER, row=input_row)


INPUTS_HEADER = f"{'INPUT':<24} {'CALL':<24} {'STATUS':<16} {'TRY':>3}  {'QUEUED':<19}  {'TOOK':>8}  ERROR"


def input_row(i) -> str:
    """An input's line in `function calls` and `call show`."""
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(i.queued_at))
    return (f"{i.input_id:<24} {i.call_id:<24} {i.status:<16} {i.attempt or '-':>3}  {when:<19}  {took(i):>8}"
            f"  {i.message}").rstrip()


def took(i) -> str:
    """How long its last attempt ran, from being sent to a container to its result."""
    if not i.started_at or not i.finished_at:
        return "-"
    seconds = max(0.0, i.finished_at - i.started_at)
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"
