"""``leveret image build | ls | rm | prune``: the image cache of this machine.

Workers build images on the machine that runs them; these commands act on this machine's
cache (what the local worker uses), and `build` builds here, as root, with crun.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time

import click


@click.group()
def image() -> None:
    """Build and manage container images on this machine."""


@image.command()
@click.argument("target")
def build(target: str) -> None:
    """Build TARGET (FILE.py::name, a leveret.Image in that file) into this machine's cache."""
    from ..worker.runtime.oci import hide_unified_hierarchy

    unified_hidden = hide_unified_hierarchy()   # before anything starts a thread
    from .._shared.aio import run_loop
    from ..image import Image
    from .run import import_file

    path, _, name = target.partition("::")
    if not name:
        raise click.BadParameter("give the image's name: FILE.py::image", param_hint="TARGET")
    module = import_file(path)
    img = getattr(module, name, None)
    if not isinstance(img, Image):
        raise click.ClickException(f"{path} has no leveret.Image named {name!r}")
    started = time.monotonic()
    try:
        built = run_loop(_build(img, unified_hidden))
    except Exception as exc:  # leveret's errors and a BuildError name the step, command and fix
        raise click.ClickException(str(exc)) from None
    click.echo(f"built {name} in {time.monotonic() - started:.1f}s: {len(built.lowers)} layer(s), workdir {built.workdir}")


async def _build(img, unified_hidden: bool):
    from .._shared.mounts import mount_id, sha256
    from ..image import steps_for_workers
    from ..worker.images.base import cache_dir
    from ..worker.images.builder import ImageBuilder
    from ..worker.runtime.oci import CrunRuntime

    staging = tempfile.mkdtemp(prefix="lv-image-")
    mounts: dict[str, str] = {}

    async def stage(files) -> str:
        """Local files for a local build, under the mount id a run would give them."""
        target = tempfile.mkdtemp(dir=staging)
        for rel, data, mode in files:
            path = os.path.join(target, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
            os.chmod(path, mode or 0o644)
        mid = mount_id([{"path": rel, "sha256": sha256(data), "mode": mode} for rel, data, mode in files])
        mounts[mid] = target
        return mid

    async def fetch(mid: str) -> str:
        return mounts[mid]

    try:
        steps = await steps_for_workers(img, stage)
        builder = ImageBuilder(cache_dir(), CrunRuntime(staging, unified_hidden=unified_hidden))
        return await builder.build(steps, lambda line: click.echo(line), fetch)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _layers() -> list[dict]:
    from ..worker.images.base import cache_dir

    root = cache_dir()
    found = []
    for kind, folder in (("layer", os.path.join(root, "layers")), ("registry", os.path.join(root, "registry")), ("base", root)):
        if not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            path = os.path.join(folder, name)
            if name.startswith(".") or not os.path.isdir(path) or name in ("layers", "registry", "blobs"):
                continue
            step = ""
            if os.path.exists(os.path.join(path, "step.json")):
                with open(os.path.join(path, "step.json")) as f:
                    step = json.load(f)["op"]
            found.append({"id": name, "kind": kind, "step": step, "path": path,
                          "size_mb": round(_size(path) / 1e6, 1), "last_used": os.stat(path).st_mtime})
    return found


def _collect_blobs() -> None:
    """Delete content-store files no layer links to any more (the layers' disk space)."""
    from ..worker.images.base import cache_dir

    for dirpath, _, names in os.walk(os.path.join(cache_dir(), "blobs")):
        for n in names:
            path = os.path.join(dirpath, n)
            if os.lstat(path).st_nlink == 1:
                os.unlink(path)


def _size(path: str) -> int:
    total, seen = 0, set()
    for d, _, names in os.walk(path):
        for n in names:
            st = os.lstat(os.path.join(d, n))
            if st.st_ino not in seen:   # a file hard-linked from the content store counts once
                seen.add(st.st_ino)
                total += st.st_size
    return total


@image.command(name="ls")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def ls(as_json: bool) -> None:
    """List the cached image layers and bases."""
    layers = _layers()
    if as_json:
        click.echo(json.dumps(layers, indent=2))
        return
    if not layers:
        click.echo("no images cached on this machine")
        return
    click.echo(f"{'ID':34} {'KIND':9} {'STEP':13} {'SIZE':>9}  LAST USED")
    for layer in layers:
        used = time.strftime("%Y-%m-%d %H:%M", time.localtime(layer["last_used"]))
        click.echo(f"{layer['id'][:34]:34} {layer['kind']:9} {layer['step'] or '-':13} {layer['size_mb']:>7.1f}MB  {used}")


@image.command()
@click.argument("ids", nargs=-1, required=True)
def rm(ids: tuple[str, ...]) -> None:
    """Remove cached layers or bases by id (as `leveret image ls` shows them)."""
    by_id = {layer["id"]: layer for layer in _layers()}
    unknown = [i for i in ids if i not in by_id]
    if unknown:
        raise click.ClickException(f"no cached layer {', '.join(unknown)}: `leveret image ls` lists them")
    for i in ids:
        shutil.rmtree(by_id[i]["path"])
        click.echo(f"removed {i}")
    _collect_blobs()


@image.command()
@click.option("--unused-for", default="7d", show_default=True, help="Remove layers unused this long (e.g. 12h, 7d).")
@click.option("--all", "everything", is_flag=True, help="Remove every cached layer and base.")
def prune(unused_for: str, everything: bool) -> None:
    """Remove layers not used lately (they are rebuilt or pulled again when needed)."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    try:
        age = float(unused_for[:-1]) * units[unused_for[-1]]
    except (KeyError, ValueError):
        raise click.BadParameter(f"{unused_for!r}: give a number and a unit, e.g. 12h or 7d", param_hint="--unused-for") from None
    cutoff = time.time() - age
    freed = 0.0
    removed = 0
    for layer in _layers():
        if everything or layer["last_used"] < cutoff:
            shutil.rmtree(layer["path"], ignore_errors=True)
            freed += layer["size_mb"]
            removed += 1
    _collect_blobs()
    click.echo(f"removed {removed} layer(s), {freed:.1f} MB")
    sys.stdout.flush()
