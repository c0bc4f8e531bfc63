"""The base of objects kept on the server under a name (Volume, Dict, Queue, Secret subclass it).

    d = Dict.from_name("cache", create_if_missing=True)   # lazy: nothing is asked yet
    d.put("k", 1)                                         # first use: hydrated with its di-… id
    Dict.objects.create("cache")                          # AlreadyExistsError if there is one
    Dict.objects.list()                                   # hydrated handles, newest first
    Dict.objects.delete("cache")                          # NotFoundError unless allow_missing=True

A subclass names its kind and id prefix, ``class Dict(_Object, kind="dict", type_prefix="di")``
(the server registers the same kind: server/objects/), and its methods start with
``client = await self._live()``. Every method is written once, async; ``@synchronize`` makes the
blocking form (``Dict.objects.create("x")``, ``await Dict.objects.create.aio("x")``).
"""

from __future__ import annotations

import builtins
import contextlib
import datetime

from ._shared.names import check_object_name
from ._utils.synchronize import synchronize
from .exception import InvalidError, NotFoundError

TYPE_CHECKING = False   # typing costs milliseconds to import, and containers import leveret
if TYPE_CHECKING:
    from typing import Any

PAGE = 100   # objects per ObjectList answer (the server's most)


class ObjectManager:
    """``X.objects``: create, list and delete the named objects of one type, as Modal 1.x's
    ``Dict.objects`` (a type with more to give at creation subclasses this and sets ``_manager``)."""

    def __init__(self, object_type: type["_Object"]):
        self._type = object_type

    def __repr__(self) -> str:
        return f"<{self._type.__name__}.objects>"

    @synchronize
    async def create(self, name: str, *, allow_existing: bool = False, environment_name: str | None = None,
                     client=None) -> None:
        """Create a named object; AlreadyExistsError if the name is taken, unless ``allow_existing``.
        Returns nothing, as Modal's: ``X.from_name(name)`` is the handle."""
        await self._type._get_or_create(name, environment_name, client, create="if_missing" if allow_existing else "new")

    @synchronize
    async def list(self, *, max_objects: int | None = None, created_before: datetime.datetime | str | None = None,
                   environment_name: str = "", client=None) -> builtins.list:
        """The named objects, newest first, as hydrated handles: at most ``max_objects``, only those
        made before ``created_before`` (a datetime, or a string such as "2026-01-01"; local time
        unless it says otherwise)."""
        if max_objects is not None and (not isinstance(max_objects, int) or max_objects < 0):
            raise InvalidError(f"max_objects must be an int >= 0 (or None for all), not {max_objects!r}")
        client = await _client_or(client)
        found: builtins.list = []
        before = (_timestamp(created_before), "") if created_before is not None else (0.0, "")
        while max_objects is None or len(found) < max_objects:
            want = PAGE if max_objects is None else min(PAGE, max_objects - len(found))
            page = (await client.object_call("ObjectList", {
                "kind": self._type._kind, "environment_name": environment_name or _environment(), "max_objects": want,
                "created_before": before[0], "before_object_id": before[1]}))["objects"]
            found += [self._type._hydrated(o, client) for o in page]
            if len(page) < want:
                break
            before = (page[-1]["created_at"], page[-1]["object_id"])
        return found

    @synchronize
    async def delete(self, name: str, *, allow_missing: bool = False, environment_name: str | None = None,
                     client=None) -> None:
        """Delete a named object and everything in it, for good; NotFoundError if there is none,
        unless ``allow_missing``."""
        try:
            obj = await self._type._get_or_create(name, environment_name, client, create="")
        except NotFoundError:
            if allow_missing:
                return
            raise
        await obj._client.object_call("ObjectDelete", {"object_id": obj._object_id})


class ObjectInfo:
    """What ``X.info()`` says of a named object: ``name``, ``created_at`` (a UTC datetime) and
    ``created_by`` (None: a server of one team does not record who)."""

    __slots__ = ("name", "created_at", "created_by")

    def __init__(self, name, created_at, created_by):
        self.name, self.created_at, self.created_by = name, created_at, created_by

    def __repr__(self) -> str:
        return f"ObjectInfo(name={self.name!r}, created_at={self.created_at!r}, created_by={self.created_by!r})"


class _Managers:
    """``X.objects`` on the type (and its instances): its manager."""

    def __get__(self, obj, owner) -> ObjectManager:
        return owner._manager(owner)


class _Object:
    _kind = ""            # on the wire: "dict"
    _type_prefix = ""     # of its ids: "di"
    _manager = ObjectManager
    objects = _Managers()

    def __init_subclass__(cls, *, kind: str = "", type_prefix: str = "", **kwargs):
        super().__init_subclass__(**kwargs)
        if kind or type_prefix:
            if not (kind and type_prefix):
                raise TypeError(f"class {cls.__name__}(_Object, kind=..., type_prefix=...): give both, e.g. kind='dict',"
                                " type_prefix='di'")
            cls._kind, cls._type_prefix = kind, type_prefix

    def __init__(self, *args, **kwargs):
        name = type(self).__name__
        raise InvalidError(f"`{name}(...)` is not how a {name} is made: use {name}.from_name('name',"
                           " create_if_missing=True)")

    @classmethod
    def _handle(cls, name: str, environment_name: str | None, create_if_missing: bool, attributes: dict | None = None):
        """A handle not yet hydrated; ``attributes``: its kind's settings, should it be made (e.g. a
        Volume's version)."""
        obj = cls.__new__(cls)
        obj._name = name
        obj._environment_name = environment_name
        obj._create_if_missing = create_if_missing
        obj._new_attributes = attributes
        obj._object_id = None
        obj._client = None
        obj._created_at = None
        obj._attributes = {}
        return obj

    @classmethod
    @contextlib.contextmanager
    def _ephemeral(cls, environment_name: str | None, client):
        """A new object under a name of its own for the length of a ``with`` block, deleted at its
        end (what Dict/Queue/Volume ``.ephemeral()`` are made of)."""
        import secrets

        name = f"ephemeral-{secrets.token_hex(8)}"
        obj = cls.from_name(name, environment_name=environment_name, create_if_missing=True)
        obj.hydrate(client)
        try:
            yield obj
        finally:
            cls.objects.delete(name, allow_missing=True, environment_name=environment_name)

    @classmethod
    def from_name(cls, name: str, *, environment_name: str | None = None, create_if_missing: bool = False):
        """A handle on the object of this name, looked up (or, with ``create_if_missing``, made)
        at its first use."""
        return cls._handle(check_object_name(name, cls.__name__), environment_name, create_if_missing)

    def __repr__(self) -> str:
        env = f", environment_name={self._environment_name!r}" if self._environment_name else ""
        state = f" ({self._object_id})" if self._object_id else ""
        return f"{type(self).__name__}.from_name({self._name!r}{env}){state}"

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_client": None}   # the connection stays here; a copy makes its own

    @property
    def object_id(self) -> str | None:
        """The server's id (``di-…``), once hydrated."""
        return self._object_id

    @property
    def name(self) -> str:
        return self._name

    @property
    def is_hydrated(self) -> bool:
        return self._object_id is not None

    @synchronize
    async def hydrate(self, client=None):
        """Look the object up now (made if missing, with ``create_if_missing``) instead of at its
        first use; returns it. NotFoundError names how to make one."""
        await self._live(client)
        return self

    @synchronize
    async def info(self) -> "ObjectInfo":
        """Its name, when it was made and by whom (Modal's ``DictInfo``, ``SecretInfo`` …): looked up now."""
        await self._live()
        made = datetime.datetime.fromtimestamp(self._created_at, datetime.timezone.utc) if self._created_at else None
        return ObjectInfo(self._name or None, made, None)

    async def _live(self, client=None):
        """The client, once the object is hydrated: for every method that talks to the server."""
        if self._object_id is None:
            found = await type(self)._get_or_create(self._name, self._environment_name, client,
                                                    create="if_missing" if self._create_if_missing else "",
                                                    attributes=self._new_attributes)
            self._hydrate(found)
        elif self._client is None:
            self._client = await _client_or(client)
        return self._client

    def _hydrate(self, other: "_Object") -> None:
        for attr in ("_name", "_object_id", "_client", "_created_at", "_attributes"):
            setattr(self, attr, getattr(other, attr))

    @classmethod
    def _hydrated(cls, info, client, environment_name: str | None = None):
        """A handle on the object the server described (a NamedObject, as a dict)."""
        import json

        obj = cls._handle(info["name"], environment_name, False)
        obj._object_id = info["object_id"]
        obj._client = client
        obj._created_at = info["created_at"]
        obj._attributes = json.loads(info.get("attributes_json") or "{}")
        return obj

    @classmethod
    async def _get_or_create(cls, name: str, environment_name: str | None, client, *, create: str,
                             attributes: dict | None = None):
        """The object of this name, hydrated: looked up (``create=""``), made if missing
        ("if_missing"), or made new ("new": AlreadyExistsError if the name is taken)."""
        import json

        from ._shared.ids import new_id

        check_object_name(name, cls.__name__)
        creation = {"": "OBJECT_CREATION_UNSPECIFIED", "if_missing": "OBJECT_CREATION_IF_MISSING",
                    "new": "OBJECT_CREATION_FAIL_IF_EXISTS"}[create]
        client = await _client_or(client)
        response = await client.object_call("ObjectGetOrCreate", {
            "kind": cls._kind, "name": name, "environment_name": environment_name or _environment(), "creation": creation,
            # chosen here, so that the request sent again after a reconnect finds what it made
            "object_id": new_id(cls._type_prefix) if create else "",
            "attributes_json": json.dumps(attributes or {})})
        return cls._hydrated(response["object"], client, environment_name)


def _environment() -> str:
    """The environment a call names none for: LEVERET_ENVIRONMENT's, the profile's, else the default."""
    from . import config

    return config.environment()


async def _client_or(client: "Any"):
    if client is not None:
        return client
    from ._client import Client

    return await Client.get()


def _timestamp(when: datetime.datetime | str) -> float:
    if isinstance(when, str):
        try:
            when = datetime.datetime.fromisoformat(when)
        except ValueError:
            raise InvalidError(f"created_before={when!r} is not a date or time: e.g. '2026-01-01' or"
                               " '2026-01-01T12:00'") from None
    if not isinstance(when, datetime.datetime):
        raise InvalidError(f"created_before takes a datetime or a string such as '2026-01-01', not {when!r}")
    return when.timestamp()
