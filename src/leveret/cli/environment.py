"""``leveret environment create | list`` and ``--env``: environments, namespaces of named objects and
apps. "main" is every server's; an app in another is kept, listed and addressed as NAME@ENV."""

from __future__ import annotations

import os
import time

import click

from .app import JSON_OPTION, _call, show_list


def _use(ctx: click.Context, _param, value: str | None) -> str | None:
    if value:   # the SDK's default for everything this command does (config.environment)
        os.environ["LEVERET_ENVIRONMENT"] = value
    return value


# --env on the commands that run or deploy: objects looked up and apps made go to that environment
ENV_OPTION = click.option("--env", "environment", default=None, expose_value=False, callback=_use, is_eager=True,
                          help="The environment (default: LEVERET_ENVIRONMENT, the profile's, else main).")


@click.group()
def environment() -> None:
    """Environments: namespaces of Volumes, Dicts, Queues, Secrets and deployed apps (main is the default)."""


@environment.command()
@click.argument("name")
def create(name: str) -> None:
    """Make environment NAME (a deploy token or wider)."""
    from .._wire import api_pb2 as pb

    _call("EnvironmentCreate", pb.EnvironmentCreateRequest(name=name))
    click.echo(f"created environment {name}: `leveret deploy --env {name} FILE` deploys there, and"
               f" LEVERET_ENVIRONMENT={name} makes it the default")


@environment.command("list")
@JSON_OPTION
def list_environments(as_json: bool) -> None:
    """The server's environments."""
    from .._wire import api_pb2 as pb

    def row(e) -> str:
        made = time.strftime("%Y-%m-%d %H:%M", time.localtime(e.created_at)) if e.created_at else "(the default)"
        return f"{e.name:<24} {made}"

    show_list(_call("EnvironmentList", pb.EnvironmentListRequest()).environments, as_json, empty="no environments",
              header=None, row=row)
