"""``leveret call show | replay``: a call's inputs with their tracebacks, and a failed input run again
— in a container of its function's image, or here under a debugger."""

from __future__ import annotations

import sys
import time

import click

from .._shared.aio import run_sync
from ..exception import Error


@click.group()
def call() -> None:
    """Look into a function call after the fact, and run one of its inputs again."""


@call.command()
@click.argument("call_id")
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True,
              help="Inputs shown, in order (failed ones first past it).")
@click.option("--json", "as_json", is_flag=True, help="As one JSON object.")
def show(call_id: str, limit: int, as_json: bool) -> None:
    """Call CALL_ID (fc-…): its function, its inputs with status, attempt and duration, and the
    traceback of each that failed, each retried attempt's too."""
    from .._wire import api_pb2 as pb
    from .app import _call, emit_json
    from .function import INPUTS_HEADER, input_row, took

    c = _call("CallShow", pb.CallShowRequest(call_id=call_id, limit=limit))
    if as_json:
        emit_json([c])
        return
    made = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(c.created_at))
    statuses = ", ".join(f"{k} {v}" for k, v in sorted(c.by_status.items())) or "none finished"
    click.echo(f"call {c.call_id} ({c.kind}) of {c.app_name}/{c.function_name} ({c.function_id}, app {c.app_id}),"
               f" made {made}")
    if c.parent_input_id:
        click.echo(f"  made by input {c.parent_input_id}, from inside its container")
    shown = f" ({len(c.inputs)} shown)" if len(c.inputs) < c.inputs_total else ""
    click.echo(f"  inputs: {c.inputs_total}{shown}: {statuses}\n")
    click.echo(INPUTS_HEADER)
    for i in c.inputs:
        click.echo(input_row(i))
        for a in i.earlier:   # its retried attempts, each with its error and traceback
            click.echo(f"    attempt {a.attempt}: {a.status} on {a.container_id or '?'} after {took(a)}: {a.message}"
                       " (retried)")
            _indented(a.traceback, "      ")
        if i.traceback:
            if i.earlier:
                click.echo(f"    attempt {i.attempt}: {i.status}: {i.message}")
            _indented(i.traceback, "      " if i.earlier else "    ")
    failed = next((i.input_id for i in c.inputs if i.traceback), "")
    if failed:
        click.echo(f"\nrun it again: leveret call replay {failed} (--local --pdb: here, under the debugger)")


def _indented(text: str, indent: str) -> None:
    if text:
        click.echo("".join(f"{indent}{line}\n" for line in text.rstrip("\n").split("\n")), nl=False)


@call.command()
@click.argument("input_id")
@click.option("--local", is_flag=True, help="Here, in this Python, with this directory's code (not in a container).")
@click.option("--pdb", "debug", is_flag=True, help="Here, stopping in the debugger where it raises (implies --local).")
def replay(input_id: str, local: bool, debug: bool) -> None:
    """Run input INPUT_ID (in-…, fc-…/in-…, or a call's fc-…: its first failed input) again with the
    arguments it was given: in a new container of its function's image and code, or with --local
    here, importing its module from this directory."""
    from .._wire import api_pb2 as pb
    from .app import _call

    input_id = input_id.rpartition("/")[2]
    r = _call("InputReplay", pb.InputReplayRequest(input_id=input_id))
    try:
        if local or debug:
            _replay_here(r, debug)
        else:
            run_sync(_replay_remote(r))
    except Error as exc:
        raise click.ClickException(str(exc)) from None


def _arguments(r) -> tuple[tuple, dict]:
    from .._serialization import deserialize

    if not r.args_blob_id:
        return deserialize(r.args)

    async def fetch() -> bytes:
        from .._client import Client
        from .._wire import blobs

        client = await Client.get()
        with await blobs.get(client.stub, r.args_blob_id) as f:
            return f.read()

    return deserialize(run_sync(fetch()))


def _replay_here(r, debug: bool) -> None:
    """The function imported from this directory (its module, by name), called with the arguments."""
    import importlib
    import os
    import traceback

    d = r.definition
    if d.class_name:
        raise click.ClickException("an @app.cls method's input runs again in a container only: drop --local/--pdb")
    if d.serialized_function:
        from .._serialization import deserialize

        fn = deserialize(d.serialized_function)
    else:
        sys.path.insert(0, os.getcwd())
        try:
            obj = importlib.import_module(d.module)
        except ImportError as exc:
            raise click.ClickException(f"could not import {d.module!r} from here ({exc}): run this in the directory"
                                       f" you ran or deployed {r.app_name} from") from None
        for part in (d.import_name or d.name).split("."):
            obj = getattr(obj, part)
        fn = obj.get_raw_f() if hasattr(obj, "get_raw_f") else obj
    args, kwargs = _arguments(r)
    click.echo(f"replaying {r.input_id} here: {d.name}(*{len(args)} args, **{sorted(kwargs)})", err=True)
    try:
        result = fn(*args, **kwargs)
        if hasattr(result, "__await__"):
            import asyncio

            result = asyncio.run(result)
    except Exception as exc:
        if not debug:
            raise
        traceback.print_exception(exc)
        import pdb

        pdb.post_mortem(exc.__traceback__)
        sys.exit(1)
    click.echo(repr(result))


async def _replay_remote(r) -> None:
    """A run of its own, APP-replay (detached, and stopped when this command ends), with the function
    as it was defined but without retries, given the stored arguments as one spawned call; its logs
    stream here."""
    import asyncio

    from .._client import Client
    from .._output import LogPrinter
    from .._serialization import output_value
    from .._traceback import render
    from .._wire import api_pb2 as pb

    client = await Client.get()
    app = await client.call("AppCreate", pb.AppCreateRequest(name=f"{r.app_name or 'app'}-replay", detach=True,
                                                             description=f"replay of {r.input_id}"))
    r.definition.ClearField("retries")   # once: what it does this time, not what retries make of it
    try:
        made = await client.call("FunctionCreate", pb.FunctionCreateRequest(app_id=app.app_id, definition=r.definition))
        click.echo(f"replaying {r.input_id} in app {app.app_id}", err=True)
        call_id = await client.spawn(made.function_id, pb.Input(idx=0, args=r.args, args_blob_id=r.args_blob_id))
        printer = LogPrinter()
        logs = asyncio.ensure_future(_follow(client, app.app_id, printer))
        try:
            out = await client.call_get(call_id, None)
        finally:
            await asyncio.sleep(0.2)   # (the last lines before the result)
            logs.cancel()
        data = out.data
        if out.data_blob_id:   # a large result or exception
            from .._wire import blobs

            with await blobs.get(client.stub, out.data_blob_id) as f:
                data = f.read()
        try:
            value = output_value(out.status, data, out.message)
        except Exception as exc:
            click.echo(render(exc, color=sys.stderr.isatty()), err=True, nl=False)
            raise click.exceptions.Exit(1) from None
        click.echo(repr(value))
    finally:
        await client.call("AppStop", pb.AppStopRequest(app_id=app.app_id, reason="the replay ended"))


async def _follow(client, app_id: str, printer) -> None:
    from .._wire import api_pb2 as pb

    async for resp in client.stub.LogsStream(pb.LogsStreamRequest(app_id=app_id, follow=True, history=True)):
        printer.print_lines(resp.lines)
