"""Named objects of every kind: looked up, created (or returned, when missing is allowed), listed
and deleted, with the errors that name the fix. One place for what every kind shares; a kind's own
data (a Dict's entries, a Volume's files) is its module's, beside this one.
"""

from __future__ import annotations

import json
import re
import secrets
from typing import TYPE_CHECKING

from ..._shared.names import name_problem
from ..errors import AlreadyExists, Invalid, NotFound
from ..store.objects import ObjectRow
from .kinds import Kind, environment_named, kind_named, kind_of_id

if TYPE_CHECKING:
    from ..store import Store

# What get_or_create does about a name: look it up only, create it when missing, or create it and
# refuse if it is taken (Modal's object creation types).
LOOKUP, IF_MISSING, FAIL_IF_EXISTS = "lookup", "if_missing", "fail_if_exists"
PAGE = 100                    # objects per list answer, at most
MAX_ATTRIBUTES_BYTES = 4096   # a kind's JSON of attributes: settings, not data


class NamedObjects:
    """Over the store's ``named_objects`` rows; ``clock`` says when one was made.

    Each method takes the store first, as an op of the store's threads does: the server runs
    ``writes.run(objects.get_or_create, ...)`` (writes.py) and ``reads.run(objects.list, ...)``."""

    def __init__(self, clock):
        self.clock = clock

    def lookup(self, store: "Store", kind: Kind | str, name: str, environment: str = "") -> ObjectRow:
        """The object of this name; NotFound naming how to make one."""
        return self.get_or_create(store, kind, name, environment)[0]

    def get_or_create(self, store: "Store", kind: Kind | str, name: str, environment: str = "", *,
                      creation: str = LOOKUP,
                      object_id: str = "", attributes: dict | None = None,
                      owner: bool = False) -> tuple[ObjectRow, bool]:
        """The object of this name and whether this call made it. ``creation``: LOOKUP (NotFound when
        missing), IF_MISSING, or FAIL_IF_EXISTS (AlreadyExists when taken, unless by the object of
        ``object_id``: the same request, sent again after a reconnect). A new object gets
        ``object_id`` (chosen by the client, of the kind's prefix) or a new id. A kind with
        ``managed_by`` is only looked up (or got) here, but by its ``owner`` (a deployed app's name
        is made by its first deploy)."""
        kind = kind if isinstance(kind, Kind) else kind_named(kind)
        managed = kind.managed_by and not owner
        if managed and creation == FAIL_IF_EXISTS:
            raise Invalid(kind.managed_by)
        if kind.created_with and creation != LOOKUP and not owner:
            raise Invalid(kind.created_with)
        environment = environment_named(environment, store)
        found = store.get_object(kind.name, environment, name)
        if found is None and creation == LOOKUP:
            raise NotFound(kind.text(kind.missing, name, environment))
        if found is None and managed:
            raise Invalid(kind.managed_by)
        if found is None:
            row = self._new_row(kind, environment, name, object_id, attributes)
            if store.create_object(row):
                return row, True
            found = store.get_object(kind.name, environment, name)   # made by another request meanwhile
            if found is None:
                raise Invalid(f"object id {row.id!r} is taken: send a new one (or none)")
        if creation == FAIL_IF_EXISTS and found.id != object_id:
            raise AlreadyExists(kind.text(kind.exists, name, environment))
        return found, creation == FAIL_IF_EXISTS

    def list(self, store: "Store", kind: Kind | str, environment: str = "", *, limit: int = PAGE,
             before: tuple[float, str] | None = None) -> list[ObjectRow]:
        """A kind's objects in an environment, newest first: a page of at most ``limit`` (and PAGE),
        after ``before`` (created_at, id): the previous page's last."""
        kind = kind if isinstance(kind, Kind) else kind_named(kind)
        limit = PAGE if limit <= 0 else min(limit, PAGE)
        return store.list_objects(kind.name, environment_named(environment, store), limit=limit, before=before)

    def delete(self, store: "Store", object_id: str, *, again: bool = False) -> ObjectRow | None:
        """Delete an object and what its kind keeps with it (one transaction); NotFound if there is
        none, unless ``again`` (the request sent again after a reconnect: the first one deleted it)."""
        kind = kind_of_id(object_id)
        if kind.managed_by:
            raise Invalid(kind.managed_by)
        with store.transaction():
            row = store.get_object_by_id(object_id)
            if row is None:
                if again:
                    return None
                raise NotFound(f"no {kind.label} with id {object_id!r}: it was deleted"
                               f" ({kind.label}.objects.list() lists those there are)")
            if kind.on_delete is not None:
                kind.on_delete(store, row)
            store.delete_object(object_id)
        return row

    def _new_row(self, kind: Kind, environment: str, name: str, object_id: str, attributes: dict | None) -> ObjectRow:
        problem = name_problem(name, kind.label)
        if problem:
            raise Invalid(problem)
        if not object_id:
            object_id = f"{kind.prefix}-{secrets.token_hex(8)}"
        elif not re.fullmatch(rf"{kind.prefix}-[0-9a-f]{{16}}", object_id):
            raise Invalid(f"{object_id!r} is not a {kind.label} id: they look like '{kind.prefix}-1a2b3c4d5e6f7a8b'")
        attributes = dict(attributes or {})
        if len(json.dumps(attributes)) > MAX_ATTRIBUTES_BYTES:
            raise Invalid(f"a {kind.label}'s attributes are at most {MAX_ATTRIBUTES_BYTES} bytes of JSON: keep data"
                          " in the object, not in its attributes")
        return ObjectRow(object_id, kind.name, environment, name, self.clock.time(), attributes)
