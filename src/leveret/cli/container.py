"""``leveret container list | logs | stop | exec``: the containers a server runs."""

from __future__ import annotations

import sys

import click

from .app import JSON_OPTION, _call, show_list


@click.group()
def container() -> None:
    """List containers, read their logs, stop them and run commands in them."""


@container.command("list")
@click.argument("app", required=False, default="")
@JSON_OPTION
def list_containers(app: str, as_json: bool) -> None:
    """Running containers (of APP, a name or an ap- id, if given), oldest first."""
    from .._wire import api_pb2 as pb

    show_list(_call("ContainerList", pb.ContainerListRequest(app_name_or_id=app)).containers, as_json,
              empty="no containers running",
              header=f"{'CONTAINER':<22} {'APP':<16} {'FUNCTION':<20} {'STATE':<9} {'RUNNING':>7} {'CPU':>6}"
                     f" {'MEMORY':>10} {'UP':>7}  WORKER",
              row=lambda c: f"{c.container_id:<22} {c.app_name:<16} {c.function_name:<20} {c.state:<9} {c.running:>7}"
                            f" {_cpu(c.cpu_cores):>6} {_memory(c.memory_bytes):>10} {c.age_s:>6.0f}s"
                            f"  {c.worker_id} ({c.worker_hostname})")


def _cpu(cores: float) -> str:
    return f"{cores * 100:.0f}%" if cores >= 0 else "-"


def _memory(n: int) -> str:
    return f"{n / 1048576:.1f} MiB" if n >= 0 else "-"


@container.command()
@click.argument("container_id")
@click.option("-f", "--follow", is_flag=True, help="Keep printing new lines until the app stops.")
@click.option("--tail", "-n", type=click.IntRange(min=1), metavar="N", help="Only the last N lines (then new ones, with -f).")
@click.option("--timestamps", is_flag=True, help="Start each line with its time.")
def logs(container_id: str, follow: bool, tail: int | None, timestamps: bool) -> None:
    """Print the log lines of one container (running or not): `leveret logs APP --container CT`."""
    from .._wire import api_pb2 as pb
    from .logs import print_logs

    print_logs(container_id, pb.LogsStreamRequest(follow=follow, history=True, container_id=container_id,
                                                  tail=tail or 0), timestamps)


@container.command()
@click.argument("container_id")
def stop(container_id: str) -> None:
    """Stop a container; the inputs it was running run elsewhere."""
    from .._wire import api_pb2 as pb

    r = _call("ContainerStop", pb.ContainerStopRequest(container_id=container_id))
    click.echo(f"stopping {container_id}; {r.requeued_inputs} input(s) it was running go back to the queue")


@container.command(context_settings={"ignore_unknown_options": True})
@click.option("-i", "--interactive", is_flag=True, help="Feed this terminal's stdin to the command.")
@click.option("-t", "--tty", is_flag=True, help="Run the command on a terminal of its own (with -i: a shell).")
@click.argument("container_id")
@click.argument("argv", nargs=-1, required=True, type=click.UNPROCESSED)
def exec(container_id: str, argv: tuple[str, ...], interactive: bool, tty: bool) -> None:   # noqa: A001 - the command's name
    """Run a command inside a running container: leveret container exec CT -- ls -la /

    `leveret container exec -it CT -- bash` opens a shell in it.
    """
    run_and_exit(container_id, argv, interactive, tty)


def run_and_exit(container_id: str, argv, interactive: bool, tty: bool) -> None:
    """Run a command in a container, this terminal's its stdin (``interactive``, ``tty``); exit with its code."""
    from ..exception import Error
    from .terminal import run_in_container

    if tty and not sys.stdin.isatty():
        raise click.UsageError("-t needs this command's stdin to be a terminal: drop -t (keep -i to pipe input in)")
    try:
        code = run_in_container(container_id, list(argv), interactive=interactive, tty=tty)
    except Error as exc:
        raise click.ClickException(str(exc)) from None
    sys.exit(code)
