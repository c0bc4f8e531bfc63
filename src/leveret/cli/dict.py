"""``leveret dict create | list | items | get | clear | delete``: Dicts on the server. Keys given on
the command line are strings, as Modal's CLI takes them."""

from __future__ import annotations

import click

from .objects import ENV, add_create_and_delete, add_list, sdk


@click.group("dict")
def dict_() -> None:
    """Dicts: key-value stores functions and clients share (leveret.Dict.from_name(NAME))."""


def _open(name: str, environment: str):
    from ..dict import Dict

    return Dict.from_name(name, environment_name=environment or None)


@dict_.command()
@click.argument("name")
@click.option("-n", "--limit", type=int, default=20, show_default=True, help="Entries to show (0: all).")
@ENV
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line: key and value (repr() where not JSON).")
def items(name: str, limit: int, environment: str, as_json: bool) -> None:
    """Show Dict NAME's entries."""
    entries = sdk(lambda: _open(name, environment).items())
    if as_json:
        from .objects import json_line

        for key, value in entries[:limit or None]:
            click.echo(json_line({"key": key, "value": value}))
        return
    for key, value in entries[:limit or None]:
        click.echo(f"{key!r}: {value!r}")
    if limit and len(entries) > limit:
        click.echo(f"… and {len(entries) - limit} more (-n 0 shows all)")


@dict_.command()
@click.argument("name")
@click.argument("key")
@ENV
def get(name: str, key: str, environment: str) -> None:
    """Print the value of KEY (a string) in Dict NAME."""
    missing = object()
    value = sdk(lambda: _open(name, environment).get(key, missing))
    if value is missing:
        raise click.ClickException(f"Dict {name} has no key {key!r}")
    click.echo(repr(value))


@dict_.command()
@click.argument("name")
@ENV
@click.option("--yes", "-y", is_flag=True, help="Do not ask.")
def clear(name: str, environment: str, yes: bool) -> None:
    """Remove every entry of Dict NAME."""
    if not yes:
        click.confirm(f"remove every entry of Dict {name}?", abort=True)
    sdk(lambda: _open(name, environment).clear())
    click.echo(f"cleared Dict {name}")


add_create_and_delete(dict_, "Dict", holds="its entries")
add_list(dict_, "Dict")
