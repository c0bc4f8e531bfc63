"""``leveret deploy FILE``: publish an app as the next version of its named deployment."""

from __future__ import annotations

import click

from ..exception import Error
from .environment import ENV_OPTION


@click.command()
@click.argument("path", metavar="FILE")
@click.option("--name", default=None, help="Deploy under this name (default: the App's name).")
@ENV_OPTION
def deploy(path: str, name: str | None) -> None:
    """Deploy the app in FILE: it keeps running, its schedules fire, and its functions can be called
    with leveret.Function.from_name(APP, FUNCTION). Deploying again rolls it to a new version."""
    from .._deploy import deploy as deploy_app
    from ..app import App
    from .run import import_file

    module = import_file(path)
    apps = [v for v in vars(module).values() if isinstance(v, App)]
    if len(apps) != 1:
        found = "no leveret.App" if not apps else f"{len(apps)} apps"
        raise click.ClickException(f"{path} defines {found}: deploy a file with exactly one"
                                   " `app = leveret.App('name')`")
    app = apps[0]
    try:
        d = deploy_app(app, name)
    except Error as exc:
        raise click.ClickException(str(exc)) from None
    import sys

    from .._progress import RichView, for_stream

    replaced = " (replaces the previous version, which drains: its calls finish, then it stops)" if d.replaced_app_id else ""
    schedules = {n: f"schedule {app.registered_functions[n]._options.schedule!r}" for n in d.functions
                 if app.registered_functions[n]._options.schedule is not None}
    schedules.update({n: f"=> {url}" for n, url in d.web_urls.items()})   # a web function: its URL
    view = for_stream(sys.stdout)
    if isinstance(view, RichView):   # a terminal: the version and its functions as a tree
        view.created(f"{d.name} version {d.version}", d.app_id, [(n, schedules.get(n, "")) for n in d.functions])
        if replaced:
            click.echo(replaced.strip(" ()"))
    else:
        click.echo(f"deployed {d.name} version {d.version} ({d.app_id}){replaced}")
        for fn_name in d.functions:
            click.echo(f"  {fn_name}" + (f"  {schedules[fn_name]}" if fn_name in schedules else ""))
    click.echo(f"call it with leveret.Function.from_name({d.name!r}, {d.functions[0]!r}).remote(...)"
               if d.functions else "it has no functions")
