"""``leveret profile list | activate`` and ``leveret config show``: which server the CLI and the SDK
use, as Modal's profiles (config.py: the environment first, then ~/.leveret.toml's active profile,
else the embedded daemon)."""

from __future__ import annotations

import json
import os

import click

from .. import config
from ..exception import InvalidError


def _profiles() -> dict[str, dict]:
    try:
        return config.read_profiles()
    except InvalidError as exc:
        raise click.ClickException(str(exc)) from None


@click.group()
def profile() -> None:
    """The profiles of ~/.leveret.toml (LEVERET_CONFIG_PATH): a server and a token each."""


@profile.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def list_profiles(as_json: bool) -> None:
    """Each profile, its server, and which one is in use."""
    profiles = _profiles()
    try:
        active, _ = config.active_profile()
    except InvalidError as exc:
        raise click.ClickException(str(exc)) from None
    if not profiles and not as_json:
        click.echo(f"no profile in {config.config_path()}: `leveret token set --server URL --token TOKEN` makes one")
    for name, p in profiles.items():
        if as_json:
            click.echo(json.dumps({"name": name, "server_url": p.get("server_url", ""), "active": name == active}))
        else:
            click.echo(f"{'*' if name == active else ' '} {name:<16} {p.get('server_url', '')}")


@profile.command()
@click.argument("name")
def activate(name: str) -> None:
    """Use profile NAME from now on (LEVERET_SERVER_URL and LEVERET_PROFILE still win when set)."""
    profiles = _profiles()
    if name not in profiles:
        raise click.ClickException(f"no profile {name} in {config.config_path()} ({', '.join(profiles) or 'none'}):"
                                   f" `leveret token set --server URL --token TOKEN --profile {name}` makes it")
    for other, p in profiles.items():
        p.pop("active", None)
        if other == name:
            p["active"] = True
    config.write_profiles(profiles)
    click.echo(f"profile {name} is active: {profiles[name].get('server_url', '')}")


@click.group("config")
def config_group() -> None:
    """The client's configuration."""


@config_group.command()
@click.option("--json", "as_json", is_flag=True, help="As a JSON object.")
def show(as_json: bool) -> None:
    """The server this shell's CLI and SDK use, and where that comes from (the token masked)."""
    try:
        server = config.explicit_server()
        name, _ = config.active_profile()
    except InvalidError as exc:
        raise click.ClickException(str(exc)) from None
    if server is None:
        shown = {"server_url": "the embedded daemon (started on first use)", "source": "default",
                 "home": config.home()}
    else:
        source = ("environment (LEVERET_SERVER_URL)" if os.environ.get("LEVERET_SERVER_URL")
                  else f"profile {name} ({config.config_path()})")
        shown = {"server_url": server.url, "token": server.token[:6] + "…", "source": source}
    shown["environment"] = config.environment() or "main"
    if as_json:
        click.echo(json.dumps(shown))
    else:
        for key, value in shown.items():
            click.echo(f"{key}: {value}")
