"""``leveret sandbox list | logs | exec | stop``: the sandboxes programs created (Sandbox.create)."""

from __future__ import annotations

import time

import click

from .app import JSON_OPTION, _call, show_list


@click.group()
def sandbox() -> None:
    """List sandboxes, read their output, run commands in them and stop them."""


def _info(sandbox_id: str):
    from .._wire import api_pb2 as pb

    return _call("SandboxGet", pb.SandboxGetRequest(sandbox_id=sandbox_id))


@sandbox.command("list")
@click.option("--app", "app_id", default="", help="Only this app's (an ap- id).")
@click.option("--tag", "tags", multiple=True, metavar="KEY=VALUE", help="Only those with this tag (repeatable).")
@click.option("--all", "include_done", is_flag=True, help="Those that ended in the last hour too, and why.")
@JSON_OPTION
def list_sandboxes(app_id: str, tags: tuple[str, ...], include_done: bool, as_json: bool) -> None:
    """Running sandboxes, oldest first."""
    from .._wire import api_pb2 as pb

    wanted = {}
    for tag in tags:
        key, eq, value = tag.partition("=")
        if not eq:
            raise click.BadParameter(f"{tag!r}: give KEY=VALUE", param_hint="--tag")
        wanted[key] = value
    found = _call("SandboxList", pb.SandboxListRequest(app_id=app_id, tags=wanted, include_done=include_done)).sandboxes
    now = time.time()
    show_list(sorted(found, key=lambda s: s.created_at), as_json, empty="no sandboxes running",
              header=f"{'SANDBOX':<22} {'NAME':<16} {'STATE':<8} {'CONTAINER':<22} {'UP':>7}  TAGS / WHY",
              row=lambda s: f"{s.sandbox_id:<22} {s.name or '-':<16} {s.state:<8} {s.container_id or '-':<22}"
                            f" {now - s.created_at:>6.0f}s  "
                            + (s.reason if s.state != "running" else ",".join(f"{k}={v}" for k, v in sorted(s.tags.items()))))


@sandbox.command()
@click.argument("sandbox_id")
@click.option("-f", "--follow", is_flag=True, help="Keep printing new lines until it ends.")
@click.option("--timestamps", is_flag=True, help="Start each line with its time.")
def logs(sandbox_id: str, follow: bool, timestamps: bool) -> None:
    """Print what a sandbox's command printed (a copy: reading it here takes nothing from its program)."""
    from .._wire import api_pb2 as pb
    from .logs import print_logs

    info = _info(sandbox_id)
    if not info.container_id:
        raise click.ClickException(f"sandbox {sandbox_id} never had a container ({info.reason}): nothing to show")
    print_logs(info.container_id, pb.LogsStreamRequest(follow=follow and not info.done, history=True,
                                                       container_id=info.container_id), timestamps)


@sandbox.command(context_settings={"ignore_unknown_options": True})
@click.option("-i", "--interactive", is_flag=True, help="Feed this terminal's stdin to the command.")
@click.option("-t", "--tty", is_flag=True, help="Run the command on a terminal of its own (with -i: a shell).")
@click.argument("sandbox_id")
@click.argument("argv", nargs=-1, required=True, type=click.UNPROCESSED)
def exec(sandbox_id: str, argv: tuple[str, ...], interactive: bool, tty: bool) -> None:   # noqa: A001 - the command's name
    """Run a command inside a running sandbox: leveret sandbox exec SB -- ls -la /"""
    from .container import run_and_exit

    info = _info(sandbox_id)
    if info.state != "running":
        raise click.ClickException(f"sandbox {sandbox_id} is {info.state} ({info.reason or 'starting'}): nothing runs"
                                   " commands there")
    run_and_exit(info.container_id, argv, interactive, tty)


@sandbox.command()
@click.argument("sandbox_id")
def stop(sandbox_id: str) -> None:
    """Terminate a sandbox (its command gets SIGTERM, then SIGKILL after a grace)."""
    from .._wire import api_pb2 as pb

    _call("SandboxTerminate", pb.SandboxTerminateRequest(sandbox_id=sandbox_id))
    click.echo(f"terminating {sandbox_id}")
