"""``leveret run FILE[::NAME] [ARGS]``: run a local entrypoint (or one function) of an app, ephemerally."""

from __future__ import annotations

import importlib
import inspect
import os
import sys
import time

import click

from ..app import App, LocalEntrypoint
from ..exception import AuthError, ConnectionError, Error, InvalidError, NotFoundError
from ..function import Function
from .environment import ENV_OPTION


class _RunCommand(click.Command):
    """`leveret run FILE --help` shows what FILE's entrypoint takes (FILE is imported to tell);
    `leveret run --help`, run's own options."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        helps = ("-h", "--help")
        first = next((i for i, a in enumerate(args) if a in helps), None)
        if first is not None and any(not a.startswith("-") for a in args[:first]):   # a TARGET before it
            ctx.meta["entrypoint_help"] = True
            args = [a for a in args if a not in helps]
        return super().parse_args(ctx, args)


@click.command(cls=_RunCommand, context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("target")
@click.option("-m", "as_module", is_flag=True, help="TARGET is a module (pkg.mod[::NAME]), imported from here.")
@click.option("-d", "--detach", is_flag=True, help="The app runs on after this command ends, until its calls are done.")
@click.option("-i", "--interactive", is_flag=True, help="Accepted as Modal's: output and input stay on this terminal.")
@click.option("-q", "--quiet", is_flag=True, help="Do not stream the containers' logs.")
@ENV_OPTION
@click.option("-v", "--verbose", is_flag=True, help="Also show each container's cold start, phase by phase.")
@click.pass_context
def run(ctx: click.Context, target: str, as_module: bool, detach: bool, interactive: bool, quiet: bool,
        verbose: bool) -> None:
    """Run TARGET (FILE.py or MODULE.PATH, with ::entrypoint or ::function) in an ephemeral app.

    The entrypoint's parameters become options: `leveret run app.py --n 1000`.
    """
    path, _, name = target.partition("::")
    module = import_module_path(path) if as_module or _is_module_path(path) else import_file(path)
    app, runnable = pick(module, path, name)
    command = command_for(runnable, app, quiet, verbose, detach=detach)
    if ctx.meta.get("entrypoint_help"):
        click.echo(command.get_help(click.Context(command, info_name=f"leveret run {target}")))
        click.echo("\n(leveret run's own options, such as --detach and --quiet: leveret run --help)")
        ctx.exit(0)
    command.main(args=ctx.args, prog_name=f"leveret run {target}", standalone_mode=True)


def _is_module_path(path: str) -> bool:
    """``pkg.mod`` rather than a file: no .py, no such file, every part a name."""
    return not path.endswith(".py") and not os.path.exists(path) and all(p.isidentifier() for p in path.split("."))


def import_module_path(name: str):
    """Import a module by its dotted name, the current directory first on sys.path (as `python -m`)."""
    if not all(part.isidentifier() for part in name.split(".")):
        raise click.BadParameter(f"{name}: not a module name (pkg.module) nor a .py file", param_hint="TARGET")
    sys.path.insert(0, os.getcwd())
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and not name.startswith(exc.name):   # (one it imports is missing: its error)
            raise click.ClickException(_import_failed(name, exc)) from None
        raise click.ClickException(f"cannot import {name}: {exc}; run from the directory that holds it, or give"
                                   " the .py file") from None
    except Error as exc:
        raise click.ClickException(str(exc)) from None
    except Exception as exc:   # its own error: its frames only
        raise click.ClickException(_import_failed(name, exc)) from None


def import_file(path: str):
    """Import a .py file as a module named after it, its directory first on sys.path."""
    if os.path.isdir(path):
        files = sorted(f for f in os.listdir(path) if f.endswith(".py") and f != "__init__.py")[:5]
        found = f" (it holds {', '.join(files)})" if files else ""
        raise click.BadParameter(f"{path} is a directory: give the .py file in it that defines the app{found}",
                                 param_hint="TARGET")
    if not os.path.isfile(path):
        raise click.BadParameter(f"{path}: no such file", param_hint="TARGET")
    directory, filename = os.path.split(os.path.abspath(path))
    name, ext = os.path.splitext(filename)
    if ext != ".py":
        raise click.BadParameter(f"{path}: expected a .py file", param_hint="TARGET")
    sys.path.insert(0, directory)
    try:
        return importlib.import_module(name)
    except Error as exc:
        raise click.ClickException(str(exc)) from None
    except Exception as exc:   # its own error (a syntax error too): its frames only
        raise click.ClickException(_import_failed(path, exc)) from None


def _import_failed(what: str, exc: BaseException) -> str:
    """Why ``what`` could not be imported, as Python says it, without the frames of Leveret's CLI
    and of importlib (LEVERET_TRACEBACK=full keeps them)."""
    import traceback

    tb = traceback.TracebackException.from_exception(exc)
    if os.environ.get("LEVERET_TRACEBACK") != "full":
        own = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))   # the leveret package
        hidden = (own + os.sep, os.path.dirname(importlib.__file__) + os.sep, "<frozen importlib")
        tb.stack = traceback.StackSummary.from_list([f for f in tb.stack if not f.filename.startswith(hidden)])
    return f"{what} could not be imported:\n" + "".join(tb.format()).rstrip()


def pick(module, path: str, name: str):
    apps = [v for v in vars(module).values() if isinstance(v, App)]
    if not apps:
        raise click.ClickException(f"{path} defines no leveret.App: add `app = leveret.App('name')`")
    candidates: dict[str, tuple[App, object]] = {}
    for app in apps:
        for n, fn in app.registered_functions.items():
            candidates.setdefault(n, (app, fn))
        for n, ep in app.registered_entrypoints.items():
            candidates[n] = (app, ep)
    if name:
        if name not in candidates:
            raise click.ClickException(f"{path} has no entrypoint or function {name!r}; it has: {', '.join(sorted(candidates)) or 'none'}")
        return candidates[name]
    entrypoints = [(a, ep) for a in apps for ep in a.registered_entrypoints.values()]
    if len(entrypoints) == 1:
        return entrypoints[0]
    functions = [(a, f) for a in apps for f in a.registered_functions.values()]
    if not entrypoints and len(functions) == 1:
        return functions[0]
    names = ", ".join(sorted(candidates))
    raise click.ClickException(f"{path} has several things to run ({names}): pick one with {path}::NAME")


def command_for(runnable, app: App, quiet: bool, verbose: bool = False, *, detach: bool = False) -> click.Command:
    """A click command whose options are the parameters of ``runnable``."""
    raw = runnable.raw_f if isinstance(runnable, LocalEntrypoint) else runnable.get_raw_f()
    params = [_option(p) for p in inspect.signature(raw).parameters.values()]

    def callback(**kwargs):
        _execute(app, runnable, kwargs, quiet, verbose, detach)

    return click.Command(name=getattr(runnable, "name", None) or runnable._name, params=params, callback=callback,
                         help=inspect.getdoc(raw))


def _option(p: inspect.Parameter) -> click.Option:
    if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
        raise click.ClickException(f"parameter *{p.name} cannot be given on the command line: use named parameters")
    ann = p.annotation
    if isinstance(ann, str):
        ann = {"int": int, "float": float, "str": str, "bool": bool}.get(ann, ann)
    flag = "--" + p.name.replace("_", "-")
    required = p.default is inspect.Parameter.empty
    default = None if required else p.default
    if ann is bool or isinstance(default, bool):
        return click.Option([f"{flag}/--no-{p.name.replace('_', '-')}", p.name], default=bool(default), show_default=True)
    if ann is inspect.Parameter.empty:
        ann = type(default) if default is not None else str
    if ann not in (int, float, str):
        raise click.ClickException(f"parameter {p.name}: type {ann!r} cannot be given on the command line; use int, float, str or bool")
    if required:
        return click.Option([flag, p.name], type=ann, required=True)
    return click.Option([flag, p.name], type=ann, default=default, show_default=True)


def _execute(app: App, runnable, kwargs: dict, quiet: bool, verbose: bool, detach: bool = False) -> None:
    from .. import _progress
    from .._output import LogPrinter
    from .._runner import RunContext

    started = time.monotonic()
    ctx = RunContext(app, show_logs=not quiet, printer=LogPrinter(verbose=verbose), detach=detach)
    view = _progress.current = None if quiet else _progress.for_stream()
    name = app.name or "app"

    def finished(outcome: str, detail: str = "") -> None:
        if view is not None and ctx.app_id is not None:   # (an app never made has nothing to report)
            took = time.monotonic() - started
            when = f"in {took:.2f} s" if outcome == "completed" else f"after {took:.2f} s"
            verb = {"aborted": "interrupted"}.get(outcome, outcome)
            view.finished(outcome, f"app {name} ({ctx.app_id}) {verb} {when}{detail}")

    try:
        with ctx:
            if isinstance(runnable, LocalEntrypoint):
                result = runnable.raw_f(**kwargs)
                if inspect.iscoroutine(result):
                    import asyncio

                    asyncio.run(result)
            elif isinstance(runnable, Function):
                if runnable.is_generator:
                    for item in runnable.remote_gen(**kwargs):
                        click.echo(repr(item))
                else:
                    result = runnable.remote(**kwargs)
                    if result is not None:
                        click.echo(repr(result))
    except KeyboardInterrupt:
        click.echo(f"\nleveret: interrupted; cancelled {ctx.cancelled_inputs} outstanding input(s) and stopped"
                   f" app {ctx.app_id}", err=True)
        finished("aborted")
        sys.exit(130)
    except (InvalidError, ConnectionError, AuthError, NotFoundError) as exc:
        finished("failed", f": {exc}")
        raise click.ClickException(str(exc)) from None
    except BaseException as exc:
        if isinstance(exc, Exception):
            from .._traceback import render

            sys.stderr.write(render(exc, color=sys.stderr.isatty()))
            finished("failed", f": {type(exc).__name__}: {exc}")
            sys.exit(1)
        raise
    finally:
        if view is not None:
            view.close()
        _progress.current = None
    finished("completed")
