"""``leveret``: the command group."""

from __future__ import annotations

import click

from ..config import HomeError
from .app import app
from .container import container
from .dashboard import dashboard
from .deploy import deploy
from .function import function
from .image import image
from .logs import logs
from .run import run
from .server import server
from .token import token, workers
from .worker import worker


class _Group(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except HomeError as exc:   # any command that needs LEVERET_HOME: one line, no traceback
            raise click.ClickException(str(exc)) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="leveret")
def cli() -> None:
    """Run Python functions in containers on your own machines."""


cli.add_command(run)
cli.add_command(server)
cli.add_command(worker)
cli.add_command(logs)
cli.add_command(image)
cli.add_command(function)
cli.add_command(deploy)
cli.add_command(app)
cli.add_command(token)
cli.add_command(workers)
cli.add_command(container)
cli.add_command(dashboard)
