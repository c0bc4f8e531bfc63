"""``leveret secret create | list | delete | rotate-key``: named secrets on the server. Values go in
and never come out: list shows names, keys and dates."""

from __future__ import annotations

import json
import time

import click

from .. import config
from .app import JSON_OPTION, _call, show_list


ENV = click.option("--env", "environment", default="", callback=lambda _c, _p, v: v or config.environment(),
                   help="The environment (default: LEVERET_ENVIRONMENT, else the profile's, else main).")


@click.group()
def secret() -> None:
    """Secrets: environment variables functions get with secrets=[leveret.Secret.from_name(NAME)]."""


def _pairs(pairs: tuple[str, ...]) -> dict[str, str]:
    env = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise click.UsageError(f"{pair.split('=')[0]!r}: give each variable as KEY=VALUE")
        env[name] = value
    return env


@secret.command()
@click.argument("name")
@click.argument("pairs", nargs=-1, metavar="KEY=VALUE...")
@click.option("--from-dotenv", "dotenv", type=click.Path(dir_okay=False), help="Read KEY=VALUE lines from a .env file.")
@click.option("--from-json", "json_path", type=click.Path(dir_okay=False), help="Read a JSON object of KEY: VALUE.")
@click.option("--force", is_flag=True, help="Replace the values of a secret of this name.")
@ENV
def create(name: str, pairs: tuple[str, ...], dotenv: str | None, json_path: str | None, force: bool,
           environment: str) -> None:
    """Create secret NAME from KEY=VALUE pairs (and/or a .env or JSON file)."""
    from .._wire import api_pb2 as pb
    from ..secret import Secret

    env: dict[str, str] = {}
    if dotenv:
        try:
            env.update(Secret.from_dotenv(dotenv)._env)
        except Exception as exc:
            raise click.ClickException(str(exc)) from None
    if json_path:
        try:
            with open(json_path) as f:
                loaded = json.load(f)
        except (OSError, ValueError) as exc:
            raise click.ClickException(f"--from-json {json_path}: {exc}") from None
        if not isinstance(loaded, dict) or not all(isinstance(v, str) for v in loaded.values()):
            raise click.ClickException(f"--from-json {json_path}: give a JSON object of names to string values")
        env.update(loaded)
    env.update(_pairs(pairs))
    if not env:
        raise click.UsageError("give the secret's variables: KEY=VALUE ..., --from-dotenv FILE or --from-json FILE")
    r = _call("SecretCreate", pb.SecretCreateRequest(name=name, environment_name=environment, env=env, overwrite=force))
    click.echo(f"{'updated' if force else 'created'} secret {name} ({r.secret_id}) with keys {', '.join(r.keys)}\n"
               f"use it with secrets=[leveret.Secret.from_name({name!r})]")


@secret.command("list")
@ENV
@JSON_OPTION
def list_secrets(environment: str, as_json: bool) -> None:
    """The named secrets: names, keys and when each was made (never values)."""
    from .._wire import api_pb2 as pb

    objects = _call("ObjectList", pb.ObjectListRequest(kind="secret", environment_name=environment)).objects
    rows = [{"name": o.name, "secret_id": o.object_id, "keys": json.loads(o.attributes_json or "{}").get("keys", []),
             "created_at": o.created_at} for o in objects]

    def row(r) -> str:
        made = time.strftime("%Y-%m-%d %H:%M", time.localtime(r["created_at"]))
        return f"{r['name']:<24} {made}  {', '.join(r['keys'])}"

    if as_json:
        for r in rows:
            click.echo(json.dumps(r))
        return
    show_list(rows, False, empty="no secrets: `leveret secret create NAME KEY=VALUE` makes one",
              header=f"{'NAME':<24} {'CREATED':<16}  KEYS", row=row)


@secret.command()
@click.argument("name")
@ENV
@click.option("--yes", "-y", is_flag=True, help="Do not ask.")
def delete(name: str, environment: str, yes: bool) -> None:
    """Delete secret NAME (functions deployed with it keep its values until their containers restart)."""
    from .._wire import api_pb2 as pb

    found = _call("ObjectGetOrCreate", pb.ObjectGetOrCreateRequest(kind="secret", name=name,
                                                                  environment_name=environment)).object
    if not yes:
        click.confirm(f"delete secret {name}?", abort=True)
    _call("ObjectDelete", pb.ObjectDeleteRequest(object_id=found.object_id))
    click.echo(f"deleted secret {name}")


@secret.command("rotate-key")
def rotate_key() -> None:
    """Encrypt every secret again under a new key (the server's key file; with LEVERET_SECRET_KEY set,
    under that key: set the new one there and the old as LEVERET_SECRET_KEY_OLD, restart, then rotate)."""
    from .._wire import api_pb2 as pb

    r = _call("SecretRotateKey", pb.SecretRotateKeyRequest())
    click.echo(f"{r.secrets} secret(s) encrypted again under key {r.key_id}")
