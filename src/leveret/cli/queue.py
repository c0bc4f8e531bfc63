"""``leveret queue create | list | peek | len | clear | delete``: Queues on the server, as Modal's CLI
has them. Partition keys are strings."""

from __future__ import annotations

import click

from .objects import ENV, add_create_and_delete, add_list, sdk

PARTITION = click.option("--partition", "-p", default=None, help="The partition (default: the default one).")


@click.group("queue")
def queue() -> None:
    """Queues: FIFO queues functions and clients share (leveret.Queue.from_name(NAME))."""


def _open(name: str, environment: str):
    from ..queue import Queue

    return Queue.from_name(name, environment_name=environment or None)


@queue.command()
@click.argument("name")
@click.argument("n", type=click.IntRange(min=1), default=1)
@PARTITION
@ENV
@click.option("--json", "as_json", is_flag=True, help="One JSON value per line (repr() where not JSON).")
def peek(name: str, n: int, partition: str | None, environment: str, as_json: bool) -> None:
    """Show the next N values of Queue NAME, leaving them there."""
    import itertools

    shown = sdk(lambda: list(itertools.islice(_open(name, environment).iterate(partition=partition), n)))
    if as_json:
        from .objects import json_line

        for value in shown:
            click.echo(json_line(value))
        return
    for value in shown:
        click.echo(repr(value))
    if not shown:
        click.echo(f"Queue {name} is empty" + (f" in partition {partition!r}" if partition else ""))


@queue.command("len")
@click.argument("name")
@PARTITION
@click.option("--total", "-t", is_flag=True, help="Of every partition.")
@ENV
def len_(name: str, partition: str | None, total: bool, environment: str) -> None:
    """How many values Queue NAME holds."""
    click.echo(sdk(lambda: _open(name, environment).len(partition=partition, total=total)))


@queue.command()
@click.argument("name")
@PARTITION
@click.option("--all", "all_", is_flag=True, help="Every partition.")
@ENV
@click.option("--yes", "-y", is_flag=True, help="Do not ask.")
def clear(name: str, partition: str | None, all_: bool, environment: str, yes: bool) -> None:
    """Remove the values of Queue NAME (of a partition, or --all)."""
    what = "every partition" if all_ else f"partition {partition!r}" if partition else "the default partition"
    if not yes:
        click.confirm(f"remove the values of {what} of Queue {name}?", abort=True)
    sdk(lambda: _open(name, environment).clear(partition=partition, all=all_))
    click.echo(f"cleared {what} of Queue {name}")


add_create_and_delete(queue, "Queue", holds="its values")


def _size(q) -> tuple[dict, str]:
    size = sdk(lambda: q.len(total=True))
    return {"size": size}, f"{size:>7} values  "


add_list(queue, "Queue", _size)
