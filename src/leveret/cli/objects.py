"""What the commands of named objects share (`leveret dict | queue | volume …`): the SDK's errors
as one line, ``--env``, and the create and delete commands, the same for each noun."""

from __future__ import annotations

import importlib

import click


def sdk(fn):
    """Run an SDK call; Leveret's errors as one line that names the fix."""
    from ..exception import Error

    try:
        return fn()
    except Error as exc:
        raise click.ClickException(str(exc)) from None


ENV = click.option("--env", "environment", default="", help="The environment (default: the server's).")


def _type(label: str):
    """The SDK's class of a noun ("Dict" ─▶ leveret.dict.Dict), imported when a command runs."""
    return getattr(importlib.import_module(f"leveret.{label.lower()}"), label)


def add_create_and_delete(group: click.Group, label: str, made: str = "", holds: str = "its contents") -> None:
    """``leveret NOUN create NAME`` and ``leveret NOUN delete NAME [--yes]`` on ``group``."""

    @group.command()
    @click.argument("name")
    @ENV
    def create(name: str, environment: str) -> None:
        sdk(lambda: _type(label).objects.create(name, environment_name=environment or None))
        click.echo(f"created {label} {name}" + (made.format(name=name) if made else ""))

    create.help = f"Create {label} NAME."

    @group.command()
    @click.argument("name")
    @ENV
    @click.option("--yes", "-y", is_flag=True, help="Do not ask.")
    def delete(name: str, environment: str, yes: bool) -> None:
        if not yes:
            click.confirm(f"delete {label} {name} and {holds}?", abort=True)
        sdk(lambda: _type(label).objects.delete(name, environment_name=environment or None))
        click.echo(f"deleted {label} {name}")

    delete.help = f"Delete {label} NAME and {holds}, for good."
