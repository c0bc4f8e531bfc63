"""What a function's container imported from its image's packages, for the next warm container on
that image: a function scaled to zero then starts on one that has them imported already (FastAPI
alone takes ~250 ms to import), and its first request skips that.

    a container ends ─record()─▶ "imported" beside its socket: the modules it had loaded from
        the standard library, site-packages / dist-packages (the image's packages) and Leveret's
        SDK — never the function's own code
    the worker ─read()─▶ starts a warm container on the image with ENV_PREIMPORT ─▶ the bootstrap
        imports them (each that fails is skipped) before it says Warm

Standard library only: the bootstrap imports it.
"""

from __future__ import annotations

import importlib
import os
import sys

IMPORTED_FILE = "imported"             # beside the socket
ENV_PREIMPORT = "LEVERET_PREIMPORT"    # comma-separated module names
MAX_MODULES = 3000


_STDLIB = os.path.dirname(os.__file__) + os.sep


def _from_packages(name: str, module) -> bool:
    path = getattr(module, "__file__", None) or ""
    if not path or name.startswith("_"):
        # built in, a namespace, or a private module its package imports (imported alone and
        # first, _asyncio leaves asyncio unable to tell the current task)
        return False
    return ("/site-packages/" in path or "/dist-packages/" in path or path.startswith(_STDLIB)
            or name == "leveret" or name.startswith("leveret."))


def record(directory: str) -> None:
    """Write the names of the modules loaded from the image's packages (at the container's end)."""
    names = sorted(name for name, module in list(sys.modules.items()) if _from_packages(name, module))[:MAX_MODULES]
    try:
        path = os.path.join(directory, IMPORTED_FILE)
        with open(path + ".tmp", "w") as f:
            f.write("\n".join(names))
        os.replace(path + ".tmp", path)
    except OSError:
        pass   # the next warm container on this image then imports nothing ahead


def read(directory: str) -> tuple[str, ...]:
    """What a container recorded (the worker's side); () if nothing."""
    try:
        with open(os.path.join(directory, IMPORTED_FILE)) as f:
            return tuple(name for name in f.read().split("\n") if name)[:MAX_MODULES]
    except OSError:
        return ()


def run(names: str) -> None:
    """Import each of the comma-separated ``names`` (a warm container, before it says Warm)."""
    for name in names.split(","):
        if name:
            try:
                importlib.import_module(name)
            except Exception:   # gone from the image, or it needs what only the function sets up
                pass
