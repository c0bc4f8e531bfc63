"""Named objects: things kept on the server under a name, per kind and environment — a deployed
app's name, a Secret (server/secrets.py), a Dict (server/dicts.py), a Queue (server/queues.py).

    SDK X.from_name(name, create_if_missing=) ─▶ ObjectGetOrCreate ─▶ NamedObjects.get_or_create
    X.objects.create / list / delete          ─▶ ObjectGetOrCreate / ObjectList / ObjectDelete
    leveret deploy (AppCreate) ─▶ Deployments.named ─▶ the app's object, made on its first deploy
    Function.from_name (FunctionLookup) ─▶ the app's object ─▶ its live version (deploy.py)

``kinds.py`` — a kind registers itself: its id prefix, what users call it, its errors' texts, who
may create and delete one, what a delete also removes; the environments ("main", one per server
for now). ``base.py`` — ``NamedObjects``: lookup, get-or-create, list, delete over the store's rows
(store/objects.py). ``apps.py``: deployed apps' names; the other kinds' modules are beside the
server's (``dicts.py``, ``queues.py`` …).
"""

from . import apps
from .base import FAIL_IF_EXISTS, IF_MISSING, LOOKUP, PAGE, NamedObjects
from .kinds import DEFAULT_ENVIRONMENT, KINDS, Kind, register

__all__ = ["DEFAULT_ENVIRONMENT", "FAIL_IF_EXISTS", "IF_MISSING", "KINDS", "LOOKUP", "PAGE", "Kind", "NamedObjects",
           "apps", "register"]
