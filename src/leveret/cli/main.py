"""``leveret``: the command group. Each noun's module is imported when its command runs (or when
``--help`` lists them all), so a command pays only for what it uses: `leveret server start` and
`leveret worker` start faster."""

from __future__ import annotations

import importlib
import os

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
    "sandbox": ("sandbox", "sandbox"), "profile": ("profile", "profile"), "config": ("profile", "config_group"),
    "call": ("call", "call"), "environment": ("environment", "environment"),
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


# where each shell reads a completion from, and the line that loads it (click's completion protocol)
COMPLETION = {
    "bash": ("~/.bashrc", 'eval "$(_LEVERET_COMPLETE=bash_source leveret)"'),
    "zsh": ("~/.zshrc", 'eval "$(_LEVERET_COMPLETE=zsh_source leveret)"'),
    "fish": ("~/.config/fish/completions/leveret.fish", "_LEVERET_COMPLETE=fish_source leveret | source"),
}


def _install_completion(ctx: click.Context, _param, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    shell = os.path.basename(os.environ.get("SHELL", ""))
    if shell not in COMPLETION:
        raise click.ClickException(f"completion is for {', '.join(COMPLETION)}; this shell is {shell or 'unknown'}"
                                   " ($SHELL): run it from one of those")
    path, line = COMPLETION[shell]
    path = os.path.expanduser(path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    try:
        with open(path) as f:
            present = line in f.read()
    except FileNotFoundError:
        present = False
    if not present:
        with open(path, "a") as f:
            f.write(f"\n# leveret's completion\n{line}\n")
    click.echo(f"{shell} completion for leveret {'is already' if present else 'added'} in {path}: it works in new"
               " shells (or now, after: source " + path + ")")
    ctx.exit(0)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="leveret")
@click.option("--install-completion", is_flag=True, expose_value=False, is_eager=True, callback=_install_completion,
              help="Add leveret's completion of commands and options to your shell's start-up (bash, zsh, fish).")
def cli() -> None:
    """Run Python functions in containers on your own machines."""
