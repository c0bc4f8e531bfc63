"""The kinds of named objects and the environments they live in.

A kind registers itself once, at import: its name (on the wire and in the store), the prefix of
its ids, what users call it, the texts of its "not found" and "already exists" (each naming the
fix), whether only its owner may create and delete one (``managed_by``, the refusal's text), and
what else goes when one is deleted (``on_delete``, run in the delete's transaction).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from ..errors import Invalid, NotFound

if TYPE_CHECKING:
    from ..store import Store
    from ..store.objects import ObjectRow

DEFAULT_ENVIRONMENT = "main"   # every server has it; others are made with `leveret environment create`

MISSING = ("no {label} named {name!r} in environment {environment!r}: create it with"
           " {label}.from_name({name!r}, create_if_missing=True)")
EXISTS = ("a {label} named {name!r} already exists in environment {environment!r}: use it with"
          " {label}.from_name({name!r}), or delete it first with {label}.objects.delete({name!r})")


@dataclass(frozen=True)
class Kind:
    name: str                # "dict": on the wire and in the store
    prefix: str              # "di": of its ids
    label: str               # "Dict": what users call it (its SDK class)
    missing: str = MISSING   # formatted with label, name, environment and where (" in environment 'x'", or "" for the default)
    exists: str = EXISTS
    managed_by: str = ""     # set: only its owner creates and deletes one; the API refuses with this text
    created_with: str = ""   # set: created only by its owner (with what a name alone lacks); anyone deletes one
    on_delete: Callable[["Store", "ObjectRow"], None] | None = None

    def check(self, store: "Store", object_id: str) -> None:
        """NotFound unless ``object_id`` is one of this kind's that is there (not deleted): what each
        op on a Dict, a Queue … checks first."""
        if not object_id.startswith(self.prefix + "-") or not store.object_exists(object_id):
            raise NotFound(f"no {self.label} with id {object_id!r}: it was deleted ({self.label}.from_name(name,"
                           " create_if_missing=True) makes one)")

    def text(self, template: str, name: str, environment: str) -> str:
        where = "" if environment == DEFAULT_ENVIRONMENT else f" in environment {environment!r}"
        return template.format(label=self.label, name=name, environment=environment, where=where)


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    """Make a kind known (once per name; its prefix its own)."""
    if not re.fullmatch(r"[a-z]{2}", kind.prefix):
        raise ValueError(f"kind {kind.name!r}: an id prefix is two lowercase letters, not {kind.prefix!r}")
    for other in KINDS.values():
        if other != kind and (other.name == kind.name or other.prefix == kind.prefix):
            raise ValueError(f"kind {kind.name!r} ({kind.prefix}-) clashes with kind {other.name!r} ({other.prefix}-)")
    KINDS[kind.name] = kind
    return kind


def kind_named(name: str) -> Kind:
    kind = KINDS.get(name)
    if kind is None:
        raise Invalid(f"no kind of named object {name!r}: this server knows {', '.join(sorted(KINDS)) or 'none'}")
    return kind


def kind_of_id(object_id: str) -> Kind:
    prefix = object_id.partition("-")[0]
    kind = next((k for k in KINDS.values() if k.prefix == prefix), None)
    if kind is None or not object_id.startswith(prefix + "-"):
        known = ", ".join(f"{k.prefix}- ({k.label})" for k in KINDS.values())
        raise Invalid(f"{object_id!r} is not the id of a named object: their ids start {known}")
    return kind


def environment_named(name: str, store: "Store") -> str:
    """The environment a request means ("": the default); NotFound naming the fix for one not made."""
    environment = name or DEFAULT_ENVIRONMENT
    if environment != DEFAULT_ENVIRONMENT and not store.environment_exists(environment):
        made = ", ".join([DEFAULT_ENVIRONMENT, *(n for n, _ in store.environments())])
        raise NotFound(f"no environment named {environment!r} (there are: {made}): `leveret environment create"
                       f" {environment}` makes it")
    return environment


def unqualified(app_name: str) -> tuple[str, str]:
    """(name, environment) of a kept app name."""
    name, _, environment = app_name.partition("@")
    return name, environment or DEFAULT_ENVIRONMENT
