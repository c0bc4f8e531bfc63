"""Which files carry a function's code into the container, and the module name to import there."""

from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass

from .errors import InvalidError

MAX_MOUNT_BYTES = 64 * 1024 * 1024
SKIP_DIRS = {"__pycache__", ".git", ".venv", "venv", "node_modules", ".mypy_cache", ".pytest_cache"}


@dataclass(frozen=True)
class CodeSource:
    module: str                              # imported by this name in the container
    files: list[tuple[str, bytes, int]]      # (relative path, content, mode)


def code_source(f) -> CodeSource:
    """The module to import for ``f`` and the files that make it importable."""
    module = sys.modules.get(f.__module__)
    path = getattr(module, "__file__", None)
    if module is None or not path:
        raise InvalidError(
            f"{f.__qualname__} is defined in {f.__module__!r}, which has no file to ship:"
            " define it in a .py file, or pass serialized=True")
    path = os.path.abspath(path)
    if f.__module__ == "__main__":
        name = os.path.splitext(os.path.basename(path))[0]
        return CodeSource(name, [_read(path, os.path.basename(path))])
    top = f.__module__.split(".")[0]
    top_mod = sys.modules[top]
    if hasattr(top_mod, "__path__"):  # a package: ship the whole top-level package
        pkg_dir = os.path.dirname(os.path.abspath(top_mod.__file__))
        return CodeSource(f.__module__, _walk(pkg_dir, top))
    return CodeSource(f.__module__, [_read(path, os.path.basename(path))])


def _read(path: str, rel: str) -> tuple[str, bytes, int]:
    with open(path, "rb") as fh:
        return rel, fh.read(), os.stat(path).st_mode & 0o777


def _walk(pkg_dir: str, top: str) -> list[tuple[str, bytes, int]]:
    files, total = [], 0
    for root, dirs, names in os.walk(pkg_dir):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        for n in sorted(names):
            if not n.endswith(".py"):
                continue
            full = os.path.join(root, n)
            rel = top + "/" + os.path.relpath(full, pkg_dir).replace(os.sep, "/")
            item = _read(full, rel)
            total += len(item[1])
            if total > MAX_MOUNT_BYTES:
                raise InvalidError(f"package {top!r} has over {MAX_MOUNT_BYTES >> 20} MiB of Python files to ship")
            files.append(item)
    return files


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def mount_id(files: list[dict]) -> str:
    """A mount's id from its files ({path, sha256, mode}): the same files, the same id, anywhere."""
    import json

    listing = sorted(({"path": f["path"], "sha256": f["sha256"], "mode": f["mode"]} for f in files), key=lambda f: f["path"])
    return "mo-" + hashlib.sha256(json.dumps(listing).encode()).hexdigest()[:32]
