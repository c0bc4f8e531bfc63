"""``leveret shell``: a shell in a container.

    shell CT-ID          ─▶ the command (bash, else sh) in that running container
    shell FILE::NAME     ─▶ the app runs ephemerally with NAME kept at one container (its image,
                            volumes, secrets, resources; it is given no inputs) ─▶ the command in it
    shell [--image REF]  ─▶ the same with a function of its own on that image (default: debian_slim)
    the command ends     ─▶ its exit code is this command's; the app stops

The command runs on a terminal of its own when this one is a terminal (terminal.py), else its
stdin is this command's: `echo ls | leveret shell app.py::f` works in scripts.
"""

from __future__ import annotations

import shlex
import sys
import time

import click

_READY_WAIT_S = 600.0   # a container's image may be built first


@click.command()
@click.argument("target", required=False, default="")
@click.option("--image", "image_ref", default="", help="A registry image to open a shell in (instead of TARGET).")
@click.option("-c", "--cmd", default="", help="The command to run (default: bash, else sh).")
def shell(target: str, image_ref: str, cmd: str) -> None:
    """Open a shell in a container: TARGET is a container id (ct-…), or FILE.py::FUNCTION (or
    ::CLASS) for a new container with that function's image, volumes, secrets and resources;
    with neither, a container of --image (default: Debian slim with Python)."""
    from .terminal import DEFAULT_SHELL, run_in_container

    argv = shlex.split(cmd) if cmd else DEFAULT_SHELL
    tty = sys.stdin.isatty()
    if target and image_ref:
        raise click.UsageError("give TARGET or --image, not both")
    if target.startswith("ct-"):
        code = _guarded(lambda: run_in_container(target, argv, interactive=True, tty=tty))
        sys.exit(code)
    app, fn = _target(target) if target else _image_app(image_ref)
    fn._options.min_containers = max(1, fn._options.min_containers)   # one container, given no inputs
    code = _guarded(lambda: _in_new_container(app, fn, argv, tty))
    sys.exit(code)


def _guarded(run) -> int:
    from ..exception import Error

    try:
        return run()
    except Error as exc:
        raise click.ClickException(str(exc)) from None


def _target(target: str):
    from ..function import Function
    from .run import import_file, pick

    path, sep, name = target.partition("::")
    if not sep or not name:
        raise click.UsageError(f"{target}: name the function or class: {path}::NAME (or give a container id ct-…)")
    app, fn = pick(import_file(path), path, name)
    if not isinstance(fn, Function):
        raise click.UsageError(f"{name} is a local entrypoint: a shell opens in a function's or class's container")
    return app, fn


def _image_app(ref: str):
    from ..app import App
    from ..image import Image

    app = App("shell")
    image = Image.from_registry(ref) if ref else Image.debian_slim()
    namespace = {"__name__": "leveret_shell"}   # not an importable module: its function is pickled whole
    exec("def shell():\n    pass\n", namespace)
    return app, app.function(image=image, serialized=True)(namespace["shell"])


def _in_new_container(app, fn, argv: list[str], tty: bool) -> int:
    from .terminal import run_in_container

    with app.run(show_logs=False, description=f"shell in {fn._name}"):
        app_id = app._running.app_id
        print(f"leveret: starting a container for {fn._name} (app {app_id})…", file=sys.stderr, flush=True)
        container_id = _wait_ready(app_id, fn._name)
        return run_in_container(container_id, argv, interactive=True, tty=tty)


def _wait_ready(app_id: str, function_name: str) -> str:
    """The first container of the function to be ready."""
    from .._wire import api_pb2 as pb
    from .app import _call

    deadline = time.monotonic() + _READY_WAIT_S
    while time.monotonic() < deadline:
        for c in _call("ContainerList", pb.ContainerListRequest(app_name_or_id=app_id)).containers:
            if c.function_name == function_name and c.state == "ready":
                return c.container_id
        time.sleep(0.1)
    raise click.ClickException(f"no container of {function_name} was ready after {_READY_WAIT_S:.0f} s: see"
                               f" `leveret app logs {app_id}` for why")
