"""``leveret serve FILE``: run an app until Ctrl-C, its web functions at their URLs, and send its
functions again whenever a Python file under its directory changes — the same app, the same URLs.

    serve ─import FILE─▶ app.run() (prints the URLs) ─▶ watch FILE's directory (watchfiles)
        a change ─▶ `python -m leveret.cli.serve APP_ID FILE [NAME]`: the file imported afresh (its
        helpers too) in a process of its own, each function sent with replace=True ─▶ the server
        retires the old ones (their requests finish, their containers stop once idle) and routes
        new requests to the new ones: nothing fails while it reloads
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import click

from .environment import ENV_OPTION


@click.command()
@ENV_OPTION
@click.argument("target")
@click.option("--timeout", type=click.FloatRange(min=0), default=None,
              help="Stop after this many seconds (default: at Ctrl-C).")
def serve(target: str, timeout: float | None) -> None:
    """Serve the app in TARGET (FILE.py, or FILE.py::APP for one of several apps), reloading it
    when a file under its directory changes."""
    from .run import import_file

    path, _, name = target.partition("::")
    module = import_file(path)
    app = _pick_app(module, path, name)
    directory = os.path.dirname(os.path.abspath(path))
    with app.run():
        for fn in app.registered_functions.values():
            for what, url in fn._named_web_urls().items():
                click.echo(f"leveret: {what} => {url}")
        click.echo(f"leveret: serving app {app.name}; edit files under {directory} to reload, Ctrl-C to stop")
        sys.stdout.flush()
        try:
            _watch(directory, app._running.app_id, path, name, timeout,
                   {n: fn.object_id for n, fn in app.registered_functions.items()})
        except KeyboardInterrupt:
            click.echo("leveret: stopping")


def _pick_app(module, path: str, name: str):
    from ..app import App

    apps = {k: v for k, v in vars(module).items() if isinstance(v, App)}
    if name:
        if name not in apps:
            raise click.ClickException(f"{path} has no app named {name!r}; it has: {', '.join(sorted(apps)) or 'none'}")
        return apps[name]
    if len(apps) != 1:
        raise click.ClickException(f"{path} defines {'no' if not apps else 'several'} leveret.App"
                                   + (f" ({', '.join(sorted(apps))}): pick one with {path}::NAME" if apps else ""))
    return next(iter(apps.values()))


def _watch(directory: str, app_id: str, path: str, name: str, timeout: float | None, ids: dict[str, str]) -> None:
    """Reload on each change of a Python file under ``directory``; ``ids``: the functions' ids now."""
    import threading

    import watchfiles

    stop = threading.Event()
    if timeout is not None:
        threading.Timer(timeout, stop.set).start()
    for changes in watchfiles.watch(directory, watch_filter=watchfiles.PythonFilter(), stop_event=stop,
                                    debounce=100, step=20, rust_timeout=200, raise_interrupt=True):
        changed = ", ".join(sorted({os.path.relpath(p, directory) for _, p in changes}))
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "leveret.cli.serve", app_id, path, name],
                              capture_output=True, text=True)
        if done.returncode != 0:   # the app as it is now does not load: the old functions serve on
            click.echo(f"leveret: {changed} changed, but the app does not load; still serving the code before:\n"
                       f"{done.stderr.strip()}")
        else:
            now = json.loads(done.stdout.strip().splitlines()[-1])   # name -> [id, {what: url}]
            replaced = sorted(n for n, (function_id, _) in now.items() if ids.get(n) != function_id)
            ids.update({n: function_id for n, (function_id, _) in now.items()})
            took = time.monotonic() - started
            click.echo(f"leveret: {changed} changed: reloaded in {took:.2f} s"
                       + "".join(f"\n  {n}" + "".join(f"\n    {what} => {url}" for what, url in now[n][1].items())
                                 for n in replaced)
                       if replaced else f"leveret: {changed} changed; no function changed")
        sys.stdout.flush()


def _reload(app_id: str, path: str, name: str) -> None:
    """In a process of its own: the app's functions as FILE now defines them, sent to ``app_id``;
    prints JSON: each function's name -> [its id (a new one if its code changed), its web URLs]."""
    import shutil
    import tempfile

    from .._runner import replace_functions
    from .._shared.aio import run_sync
    from .run import import_file

    # Imported from a copy, so that the code sent is the code imported, not what an editor writes
    # into the file meanwhile; its directory stays on the path for the modules it imports.
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    directory = tempfile.mkdtemp(prefix="leveret-serve-")
    try:
        snapshot = os.path.join(directory, os.path.basename(path))
        shutil.copyfile(path, snapshot)
        app = _pick_app(import_file(snapshot), path, name)
        run_sync(replace_functions(app, app_id))
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    print(json.dumps({n: [fn.object_id, fn._named_web_urls()] for n, fn in app.registered_functions.items()}))


if __name__ == "__main__":
    try:
        _reload(*sys.argv[1:4])
    except click.ClickException as exc:
        sys.exit(f"error: {exc.format_message()}")
