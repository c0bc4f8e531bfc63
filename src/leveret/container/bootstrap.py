"""The program that runs inside every container, started as a script: ``python3 .../bootstrap.py``.

It needs only the standard library and cloudpickle (any image with Python >= 3.9), and imports
nothing else of Leveret but the modules beside it, as a package of a name of its own (below):

- serve.py — its life: connect, get the function, import it, say Hello, run batches until Stop;
- runner.py — running the inputs, one at a time or all at once (``@concurrent``);
- cancel.py — interrupting the code of an input whose call was cancelled;
- channel.py — the socket to the worker, and what the function prints, as Log frames;
- serialization.py — arguments in, results and exceptions out (large ones as Blob chunks);
- protocol.py — the messages it exchanges with its worker over a unix socket.

Flow::

    worker ──unix socket──▶ bootstrap: [Load (a warm container's function)] Inputs, Blob, BlobAbort, Cancel, Stop
    bootstrap ─────────────▶ worker:   [Warm] Hello, Outputs, Log, Blob, BlobAbort

Inputs and outputs move in batches both ways; one container serves many inputs. Arguments and
results over the inline limit go as Blob chunks first; the input's args or the output's data is
then None. An output's ``busy_s`` is the time spent running inputs since the previous batch (the
server sizes its dispatch windows and scaling from it). Lines the function prints through
``sys.stdout`` / ``sys.stderr`` travel on the same socket, so they reach the worker before the
output of the input that printed them.
"""

from __future__ import annotations

import importlib
import os
import sys
import time

STARTED_AT = time.time()


def _container_package() -> str:
    """The package this directory's modules are imported from: ``leveret.container`` when this
    file is imported (by the worker, by tests). Run as a script, a package of a private name made
    here, whose path is this directory, whatever sys.path holds; and this directory leaves
    sys.path: the function's own modules (one may be called protocol) are not shadowed by Leveret's."""
    if __package__:
        return __package__
    from importlib.machinery import ModuleSpec

    here = os.path.dirname(os.path.realpath(__file__))
    if sys.path and sys.path[0] and os.path.realpath(sys.path[0]) == here:
        del sys.path[0]
    name = "_leveret_container"
    package = type(sys)(name)
    package.__spec__ = ModuleSpec(name, None, is_package=True)
    package.__spec__.submodule_search_locations = package.__path__ = [here]
    sys.modules[name] = package
    return name


serve = importlib.import_module(_container_package() + ".serve")

if __name__ == "__main__":
    sys.exit(serve.main(STARTED_AT))
