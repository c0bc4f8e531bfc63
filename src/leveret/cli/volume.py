"""``leveret volume create | list | ls | put | get | rm | cp | delete``: Volumes on the server, as
Modal's CLI has them. Paths in a volume are from its root ("/data/x" and "data/x" are the same)."""

from __future__ import annotations

import os
import sys
import time

import click

from .app import JSON_OPTION
from .objects import ENV, add_create_and_delete, add_list, sdk


@click.group("volume")
def volume() -> None:
    """Volumes: file trees functions mount (volumes={"/data": leveret.Volume.from_name(NAME)})."""


def _open(name: str, environment: str):
    from ..volume import Volume

    return Volume.from_name(name, environment_name=environment or None)


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


@volume.command()
@click.argument("name")
@click.argument("path", default="/")
@click.option("--recursive", "-r", is_flag=True, help="Everything under PATH.")
@ENV
@JSON_OPTION
def ls(name: str, path: str, recursive: bool, environment: str, as_json: bool) -> None:
    """List the files and directories at PATH in Volume NAME."""
    import json

    entries = sdk(lambda: _open(name, environment).listdir(path, recursive=recursive))
    for e in entries:
        if as_json:
            click.echo(json.dumps({"path": e.path, "type": e.type.name.lower(), "size": e.size, "mtime": e.mtime}))
        else:
            made = time.strftime("%Y-%m-%d %H:%M", time.localtime(e.mtime))
            shown = e.path + ("/" if e.type.name == "DIRECTORY" else "")
            click.echo(f"{shown:<48} {'' if e.type.name == 'DIRECTORY' else _size(e.size):>10}  {made}")


@volume.command()
@click.argument("name")
@click.argument("local_path", type=click.Path(exists=True))
@click.argument("remote_path", default="/")
@click.option("--force", "-f", is_flag=True, help="Replace files that are there.")
@ENV
def put(name: str, local_path: str, remote_path: str, force: bool, environment: str) -> None:
    """Upload LOCAL_PATH (a file or a directory) to REMOTE_PATH in Volume NAME (into it, if it ends with /)."""
    vol = _open(name, environment)

    def upload():
        with vol.batch_upload(force=force) as batch:
            if os.path.isdir(local_path):
                batch.put_directory(local_path, remote_path)
            else:
                target = remote_path
                if target.endswith("/"):
                    target += os.path.basename(local_path)
                batch.put_file(local_path, target)
        return len(batch._files)

    n = sdk(upload)
    click.echo(f"uploaded {n} file(s) to Volume {name}")


@volume.command()
@click.argument("name")
@click.argument("remote_path")
@click.argument("local_destination", default=".")
@click.option("--force", "-f", is_flag=True, help="Replace local files that are there.")
@ENV
def get(name: str, remote_path: str, local_destination: str, force: bool, environment: str) -> None:
    """Download REMOTE_PATH (a file or a directory) of Volume NAME to LOCAL_DESTINATION ("-": stdout)."""
    from ..volume import FileEntryType

    vol = _open(name, environment)
    entries = sdk(lambda: vol.listdir(remote_path, recursive=True))
    files = [e for e in entries if e.type == FileEntryType.FILE]
    if local_destination == "-":
        if len(files) != 1:
            raise click.ClickException(f"{remote_path} is a directory: only a file goes to stdout")
        sdk(lambda: vol.read_file_into_fileobj(files[0].path, sys.stdout.buffer))
        return
    root = remote_path.strip("/")
    single = len(files) == 1 and files[0].path == root
    for e in files:
        if single:
            dest = os.path.join(local_destination, os.path.basename(e.path)) if os.path.isdir(local_destination) \
                else local_destination
        else:
            rel = e.path[len(root):].lstrip("/") if root else e.path
            dest = os.path.join(local_destination, os.path.basename(root) if root else "", rel)
        if os.path.exists(dest) and not force:
            raise click.ClickException(f"{dest} exists here: --force replaces it")
        os.makedirs(os.path.dirname(os.path.abspath(dest)), exist_ok=True)
        with open(dest + ".part", "wb") as f:
            sdk(lambda: vol.read_file_into_fileobj(e.path, f))
        os.replace(dest + ".part", dest)
    click.echo(f"downloaded {len(files)} file(s) from Volume {name}", err=True)


@volume.command()
@click.argument("name")
@click.argument("remote_path")
@click.option("--recursive", "-r", is_flag=True, help="A directory and everything in it.")
@ENV
def rm(name: str, remote_path: str, recursive: bool, environment: str) -> None:
    """Remove REMOTE_PATH from Volume NAME."""
    sdk(lambda: _open(name, environment).remove_file(remote_path, recursive=recursive))
    click.echo(f"removed {remote_path} from Volume {name}")


@volume.command()
@click.argument("name")
@click.argument("paths", nargs=-1, required=True)
@click.option("--recursive", "-r", is_flag=True, help="Copy directories too.")
@ENV
def cp(name: str, paths: tuple[str, ...], recursive: bool, environment: str) -> None:
    """Copy SRC... to DST inside Volume NAME (no data is uploaded again)."""
    if len(paths) < 2:
        raise click.UsageError("give at least one source and the destination: leveret volume cp NAME SRC... DST")
    sdk(lambda: _open(name, environment).copy_files(list(paths[:-1]), paths[-1], recursive=recursive))
    click.echo(f"copied {len(paths) - 1} path(s) to {paths[-1]} in Volume {name}")


add_create_and_delete(volume, "Volume", made=": mount it with volumes={{'/data': leveret.Volume.from_name({name!r})}}",
                      holds="all its files")
add_list(volume, "Volume")
