"""`leveret run FILE --help` shows the entrypoint's options; `leveret --install-completion` adds
click's completion to the shell's start-up, once, and completion answers."""

import click
from click.testing import CliRunner

from leveret.cli.main import cli

APP = '''
import leveret

app = leveret.App("help-example")


@app.local_entrypoint()
def main(n: int = 3, name: str = "x", loud: bool = False):
    """Say hello n times."""
'''


def test_run_file_help_lists_the_entrypoints_options(tmp_path):
    (tmp_path / "example.py").write_text(APP)
    out = CliRunner().invoke(cli, ["run", str(tmp_path / "example.py"), "--help"], prog_name="leveret")
    assert out.exit_code == 0, out.output
    assert " ".join(out.output.split()).startswith(f"Usage: leveret run {tmp_path / 'example.py'} [OPTIONS]")
    assert "Say hello n times." in out.output
    for option in ("--n INTEGER", "--name TEXT", "--loud / --no-loud"):
        assert option in out.output
    own = CliRunner().invoke(cli, ["run", "--help"], prog_name="leveret")   # no FILE: run's own options
    assert own.exit_code == 0 and "--detach" in own.output and "--loud" not in own.output


def test_install_completion_adds_its_line_once_and_completion_answers(tmp_path):
    env = {"HOME": str(tmp_path), "SHELL": "/bin/bash"}
    for said in ("added", "is already"):
        out = CliRunner().invoke(cli, ["--install-completion"], env=env, prog_name="leveret")
        assert out.exit_code == 0 and f"bash completion for leveret {said}" in out.output, out.output
    assert (tmp_path / ".bashrc").read_text().count("_LEVERET_COMPLETE=bash_source leveret") == 1
    out = CliRunner().invoke(cli, ["--install-completion"], env={**env, "SHELL": "/bin/tcsh"}, prog_name="leveret")
    assert out.exit_code == 1 and "completion is for bash, zsh, fish; this shell is tcsh" in out.output
    done = CliRunner().invoke(cli, [], prog_name="leveret", env={
        "_LEVERET_COMPLETE": "bash_complete", "COMP_WORDS": "leveret wor", "COMP_CWORD": "1"})
    assert done.output.split() == ["plain,worker", "plain,workers"]


LISTINGS = {"list", "ls", "history", "items", "peek", "calls", "describe", "show", "stats", "workers"}


def _commands(group, ctx, path=()):
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, ctx, (*path, name))
        else:
            yield (*path, name), cmd


def test_every_command_that_lists_or_shows_things_takes_json():
    ctx = click.Context(cli)
    listings = {path: cmd for path, cmd in _commands(cli, ctx) if path[-1] in LISTINGS}
    assert len(listings) >= 20 and ("call", "show") in listings and ("app", "history") in listings
    without = [" ".join(path) for path, cmd in listings.items()
               if "--json" not in {o for p in cmd.params for o in getattr(p, "opts", ())}]
    assert without == [], f"these list without --json: {without}"
