"""What the commands of named objects share (`leveret dict | queue | volume …`): the SDK's errors
as one line, ``--env``, and the create, list and delete commands, the same for each noun."""

from __future__ import annotations

import importlib
import time

import click

from .app import JSON_OPTION


def sdk(fn):
    """Run an SDK call; Leveret's errors as one line that names the fix."""
    from ..exception import Error

    try:
        return fn()
    except Error as exc:
        raise click.ClickException(str(exc)) from None


ENV = click.option("--env", "environment", default="",
                   help="The environment (default: LEVERET_ENVIRONMENT, else the profile's, else main).")


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


def add_list(group: click.Group, label: str, detail=None) -> None:
    """``leveret NOUN list [--json]``: newest first; ``detail(obj)`` gives (more JSON fields, more
    text before its id) for each, e.g. a Queue's size."""

    @group.command("list")
    @ENV
    @JSON_OPTION
    def list_(environment: str, as_json: bool) -> None:
        import json

        found = sdk(lambda: _type(label).objects.list(environment_name=environment))
        for obj in found:
            fields, text = detail(obj) if detail else ({}, "")
            if as_json:
                click.echo(json.dumps({"name": obj.name, f"{label.lower()}_id": obj.object_id,
                                       "created_at": obj._created_at, **fields}))
            else:
                made = time.strftime("%Y-%m-%d %H:%M", time.localtime(obj._created_at))
                click.echo(f"{obj.name:<32} {made}  {text}{obj.object_id}")
        if not found and not as_json:
            click.echo(f"no {label}s: `leveret {label.lower()} create NAME` makes one")

    list_.help = f"The {label}s, newest first."


def json_line(value) -> str:
    """A Dict's or Queue's value as one line of JSON: what JSON cannot hold, as its repr()."""
    import json

    return json.dumps(value, default=repr)
