"""Volumes: named objects of kind "volume" holding a tree of files, as Modal's v2 Volumes. A file is
a list of content-addressed chunks (chunks.py: deduplicated across files and volumes); the store
indexes each path's latest entry and the volume's version (store/volumes.py).

    VolumeCommit ─▶ commit: files written (their chunks already here), paths deleted, one
        transaction, the next version; last write wins per path
    VolumeList ─▶ listing (a directory's children, or everything under it)
    VolumeGetFile ─▶ a file's chunks, read then by VolumeChunkGet
    VolumeChanges ─▶ what changed since a version (a worker's reload)
    VolumeCopy ─▶ copy: new entries that share the chunks of the old
    ObjectDelete of a volume ─▶ its rows go with it (the kind's on_delete)

Each op runs on the store's writer thread, so a commit's checks and its write see the same volume.
"""

from __future__ import annotations

import posixpath
from dataclasses import replace
from typing import TYPE_CHECKING

from .._shared.volumes import DIRECTORY, FILE, MAX_FILE_BYTES, MAX_FILES, volume_path
from .errors import AlreadyExists, Invalid, NotFound
from .objects import Kind, register
from .store.volumes import VolumeEntry

if TYPE_CHECKING:
    from .store import Store

MAX_LISTED = 100_000   # entries one listing returns


def _drop(store: "Store", row) -> None:
    store.volume_drop(row.id)


VOLUME = register(Kind(name="volume", prefix="vo", label="Volume", on_delete=_drop))


def path(text: str) -> str:
    return volume_path(text, Invalid)


def _is_dir(store: "Store", volume_id: str, p: str) -> bool:
    """A directory: made empty, or implied by what is under it (the root always is)."""
    if not p:
        return True
    entry = store.volume_entry(volume_id, p)
    if entry is not None:
        return entry.kind == DIRECTORY
    return bool(store.volume_entries_under(volume_id, p, limit=1))


def commit(store: "Store", volume_id: str, files: list[VolumeEntry], deletes: list[tuple[str, bool]], *,
           no_overwrite: bool = False, missing_ok: bool = False) -> tuple[int, int, int]:
    """Write ``files`` and delete ``deletes`` ((path, recursive)) as one new version: (version,
    files, bytes) after it. ``no_overwrite``: a file already at a path is an error (batch_upload
    without force); ``missing_ok``: deleting what is not there is not (a container's commit)."""
    VOLUME.check(store, volume_id)
    gone: list[str] = []
    for p, recursive in deletes:
        if not p:
            raise Invalid("the root of a volume cannot be removed: remove what is in it, or delete the volume")
        entry = store.volume_entry(volume_id, p)
        inside = [e.path for e in store.volume_entries_under(volume_id, p)]
        if entry is None and not inside:
            if missing_ok:
                continue
            raise NotFound(f"no file or directory {p!r} in this volume: `leveret volume ls` shows what there is")
        if inside and not recursive:
            raise Invalid(f"{p!r} is a directory that is not empty: remove it with recursive=True (leveret volume rm -r)")
        gone += inside + ([p] if entry is not None else [])
    written = {e.path for e in files}
    for e in files:
        if e.kind == FILE and e.size > MAX_FILE_BYTES:
            raise Invalid(f"{e.path!r}: a file in a volume is under 1 TiB, this one {e.size} bytes")
        old = store.volume_entry(volume_id, e.path)
        if old is not None and old.kind == FILE and no_overwrite:
            raise AlreadyExists(f"{e.path!r} exists in the volume already: batch_upload(force=True) (leveret volume put"
                                " --force) replaces it")
        if old is None and e.kind == FILE and e.path not in gone and store.volume_entries_under(volume_id, e.path, limit=1):
            raise Invalid(f"{e.path!r} is a directory in the volume: a file cannot take its place")
    parents = {posixpath.dirname(p) for p in written} - {""}
    while parents:
        p = parents.pop()
        entry = store.volume_entry(volume_id, p)
        if entry is not None and entry.kind == FILE and p not in gone and p not in written:
            raise Invalid(f"{p!r} is a file in the volume, so nothing can go under it: remove it first")
        up = posixpath.dirname(p)
        if up:
            parents.add(up)
    version, count, size = store.volume_head(volume_id)
    if count + len(files) > MAX_FILES:
        raise Invalid(f"a volume holds at most {MAX_FILES} files and directories: this commit would make"
                      f" {count + len(files)}; spread them over several volumes")
    return store.volume_write(volume_id, files, [p for p in gone if p not in written])


def listing(store: "Store", volume_id: str, p: str, recursive: bool) -> tuple[int, list[VolumeEntry]]:
    """(version, entries): the file at ``p``; or the children of directory ``p`` (directories
    implied by deeper paths included), or with ``recursive`` everything under it."""
    VOLUME.check(store, volume_id)
    version = store.volume_head(volume_id)[0]
    entry = store.volume_entry(volume_id, p) if p else None
    if entry is not None and entry.kind == FILE:
        return version, [entry]
    inside = store.volume_entries_under(volume_id, p, limit=MAX_LISTED + 1)
    if entry is None and p and not inside:
        raise NotFound(f"no file or directory {p!r} in this volume: `leveret volume ls` shows what there is")
    if len(inside) > MAX_LISTED:
        raise Invalid(f"{p or '/'} holds more than {MAX_LISTED} entries: list a directory further down")
    found: dict[str, VolumeEntry] = {}
    start = len(p) + 1 if p else 0
    for e in inside:
        rel = e.path[start:]
        steps = rel.split("/")
        for depth in range(1, len(steps)):   # the directories it implies
            d = (p + "/" if p else "") + "/".join(steps[:depth])
            if (recursive or depth == 1) and d not in found:
                found[d] = VolumeEntry(d, DIRECTORY, 0, 0o755, e.mtime, (), e.version)
        if recursive or len(steps) == 1:
            found[e.path] = e
    return version, sorted(found.values(), key=lambda e: e.path)


def get_file(store: "Store", volume_id: str, p: str) -> VolumeEntry:
    VOLUME.check(store, volume_id)
    entry = store.volume_entry(volume_id, p)
    if entry is None:
        what = "a directory" if _is_dir(store, volume_id, p) else "no file"
        raise NotFound(f"{p!r} is {what} in this volume" + ("" if what == "a directory" else
                       ": `leveret volume ls` shows what there is"))
    if entry.kind != FILE:
        raise NotFound(f"{p!r} is a directory in this volume, not a file: list it (listdir)")
    return entry


def changes(store: "Store", volume_id: str, since: int) -> tuple[int, list[VolumeEntry]]:
    VOLUME.check(store, volume_id)
    return store.volume_changes(volume_id, since)


def copy(store: "Store", volume_id: str, sources: list[str], dest: str, recursive: bool) -> tuple[int, int, int]:
    """Copy files (and with ``recursive`` directories) to ``dest``: into it if it is a directory
    (or there are several sources), else to that path. The copies share the originals' chunks."""
    VOLUME.check(store, volume_id)
    if not sources:
        raise Invalid("copy_files needs at least one source path")
    into = len(sources) > 1 or _is_dir(store, volume_id, dest)
    made: list[VolumeEntry] = []
    for src in sources:
        target = posixpath.join(dest, posixpath.basename(src)) if into else dest
        if not src:
            raise Invalid("the root of a volume cannot be copied: copy what is in it")
        entry = store.volume_entry(volume_id, src)
        if entry is not None and entry.kind == FILE:
            made.append(replace(entry, path=target))
            continue
        inside = store.volume_entries_under(volume_id, src)
        if entry is None and not inside:
            raise NotFound(f"no file or directory {src!r} in this volume")
        if not recursive:
            raise Invalid(f"{src!r} is a directory: copy it with recursive=True (leveret volume cp -r)")
        if target == src or target.startswith(src + "/"):
            raise Invalid(f"cannot copy directory {src!r} into itself ({target!r})")
        if entry is not None:
            made.append(replace(entry, path=target))
        made += [replace(e, path=target + e.path[len(src):]) for e in inside]
    return commit(store, volume_id, made, [])
