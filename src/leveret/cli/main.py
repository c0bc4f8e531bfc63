"""``leveret``: the command group. Each noun's module is imported when its command runs (or when
``--help`` lists them all), so a command pays only for what it uses: `leveret server start` and
`leveret worker` start faster."""

from __future__ import annotations

import importlib

import click

from ..config import HomeError

# command name -> (module in this package, the click command in it)
COMMANDS = {
    "run": ("run", "run"), "server": ("server", "server"), "worker": ("worker", "worker"),
    "logs": ("logs", "logs"), "image": ("image", "image"), "function": ("function", "function"),
    "deploy": ("deploy", "deploy"), "app": ("app", "app"), "token": ("token", "token"),
    "workers": ("token", "workers"), "container": ("container", "container"),
    "dashboard": ("dashboard", "dashboard"), "secret": ("secret", "secret"),
    "dict": ("dict", "dict_"), "queue": ("queue", "queue"),
    "volume": ("volume", "volume"), "serve": ("serve", "serve"), "shell": ("shell", "shell"),
    "sandbox": ("sandbox", "sandbox"),
}


class _Group(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(COMMANDS))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in COMMANDS:
            module, attr = COMMANDS[name]
            self.add_command(getattr(importlib.import_module(f".{module}", __package__), attr), name)
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except HomeError as exc:   # any command that needs LEVERET_HOME: one line, no traceback
            raise click.ClickException(str(exc)) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="leveret")
def cli() -> None:
    """Run Python functions in containers on your own machines."""
