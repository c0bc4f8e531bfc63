"""Secrets: named (``leveret secret create``, ``Secret.from_name``) or not (``Secret.from_dict`` …),
their values sealed in the store under the server's key (secret_keys.py), opened only to go to
the worker of a container whose function uses them.

    SecretCreate ─▶ create: a named object of kind "secret" (its keys in its attributes) and its
        sealed values; a secret without a name gets an id from its values (the same values: one row)
    FunctionCreate / FunctionBind (a definition's secret_ids) ─▶ load: each opened into memory, or
        NotFound naming it before anything starts
    a container starts ─▶ env_of(its function's secret_ids) ─▶ secret_env in its assignment only
    SecretRotateKey ─▶ rotate: every secret sealed again under a new key, in one transaction
    ObjectDelete of a secret ─▶ its values go with it (the kind's on_delete)

Values never leave the server otherwise: not in definitions, describe, logs or errors.
"""

from __future__ import annotations

import asyncio
import os
import re
from typing import TYPE_CHECKING

from .errors import AlreadyExists, Invalid, NotFound
from .objects import IF_MISSING, Kind, register
from .secret_keys import Keyring

if TYPE_CHECKING:
    from .store import Store

MAX_SECRET_BYTES = 64 * 1024   # a secret's names and values together
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")


def _delete_values(store: "Store", row) -> None:
    store.delete_secret(row.id)


SECRET = register(Kind(
    name="secret", prefix="st", label="Secret",
    missing="no Secret named {name!r}{where}: create it with `leveret secret create {name} KEY=value`",
    exists="a Secret named {name!r} already exists{where}: replace its values with `leveret secret create {name}"
           " KEY=value --force`, or delete it first with `leveret secret delete {name}`",
    created_with="a Secret is created with its values: `leveret secret create NAME KEY=value` or"
                 " Secret.objects.create(NAME, {...})",
    on_delete=_delete_values,
))


def default_key_dir(db: str) -> str:
    """Beside a SQLite database; for PostgreSQL (or SQLite in memory) the server's home under
    LEVERET_HOME, unless the key comes from LEVERET_SECRET_KEY (what several servers share)."""
    from .store.sqlite import sqlite_path

    if not db.startswith("postgres") and sqlite_path(db) != ":memory:":
        return os.path.dirname(os.path.abspath(sqlite_path(db)))
    return os.path.join(os.path.expanduser(os.environ.get("LEVERET_HOME") or "~/.leveret"), "server")


def check_env(env: dict) -> None:
    """Names an environment variable can have, str values, and not too big."""
    for name, value in env.items():
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise Invalid(f"a secret's names are environment variable names (letters, digits, _ . -), not {name!r}")
        if not isinstance(value, str) or "\0" in value:
            raise Invalid(f"secret value of {name} must be a string without NUL bytes")
    size = sum(len(k.encode()) + len(v.encode()) for k, v in env.items())
    if size > MAX_SECRET_BYTES:
        raise Invalid(f"a secret holds at most {MAX_SECRET_BYTES // 1024} KiB of names and values, this one {size} bytes:"
                      " keep large files in a Volume")


class Secrets:
    """Ops of the store's threads (``writes.run(secrets.create, ...)``) and what the loop reads
    (``env_of``). The key is read on first use, from ``key_dir`` or the environment."""

    def __init__(self, objects, key_dir: str):
        self.objects = objects
        self.key_dir = key_dir
        self._keyring: Keyring | None = None
        self.opened: dict[str, dict[str, str]] = {}   # secret id -> its values, for container starts
        self._fetching: set = set()   # secret ids being opened in the background (fetch)
        self._gone: dict = {}         # secret ids a fetch found missing -> why

    def keyring(self, store: "Store") -> Keyring:
        if self._keyring is None:
            os.makedirs(self.key_dir, mode=0o700, exist_ok=True)
            keyring = Keyring.load(self.key_dir)
            keyring.settle(store.secret_key_ids())
            self._keyring = keyring
        return self._keyring

    def create(self, store: "Store", name: str, environment: str, env: dict[str, str],
               overwrite: bool = False) -> tuple[str, list[str]]:
        """Store a secret's values; (its id, its keys)."""
        check_env(env)
        keys = sorted(env)
        keyring = self.keyring(store)
        with store.transaction():
            if not name:
                secret_id = keyring.anonymous_id(env)
            else:
                row, created = self.objects.get_or_create(store, SECRET, name, environment, creation=IF_MISSING,
                                                          attributes={"keys": keys}, owner=True)
                if not created and not overwrite:
                    raise AlreadyExists(SECRET.text(SECRET.exists, name, row.environment))
                if not created:
                    store.set_object_attributes(row.id, {"keys": keys})
                secret_id = row.id
            store.put_secret(secret_id, *keyring.seal(secret_id, env), keys)
        self.opened.pop(secret_id, None)   # opened again at the next load
        return secret_id, keys

    def load(self, store: "Store", secret_ids) -> None:
        """Open these secrets into memory; NotFound naming one that is not there."""
        wanted = [i for i in dict.fromkeys(secret_ids) if i not in self.opened]
        if not wanted:
            return
        found = store.get_secrets(wanted)
        missing = [i for i in wanted if i not in found]
        if missing:
            row = store.get_object_by_id(missing[0])
            raise NotFound(f"secret {missing[0]} is gone (deleted after it was named here): create it again"
                           f"{' as ' + repr(row.name) if row else ''} and run or deploy again")
        keyring = self.keyring(store)
        for secret_id, (kid, sealed) in found.items():
            self.opened[secret_id] = keyring.open(secret_id, kid, sealed)

    def not_loaded(self, secret_ids) -> list[str]:
        return [i for i in secret_ids if i not in self.opened]

    def fetch(self, reads, secret_ids) -> str:
        """Open these secrets in the background (``reads``: the store's reader); why they cannot be
        (one is gone), once a fetch found that, else ""."""
        key = tuple(secret_ids)
        if key in self._gone:
            return self._gone[key]
        if key not in self._fetching:
            async def fetch():
                try:
                    await reads.run(self.load, key)
                except NotFound as exc:
                    self._gone[key] = exc.message
                finally:
                    self._fetching.discard(key)

            self._fetching.add(key)
            asyncio.get_running_loop().create_task(fetch())
        return ""

    def env_of(self, secret_ids) -> dict[str, str]:
        """The environment these (loaded) secrets give, later ones winning; KeyError for one not loaded."""
        env: dict[str, str] = {}
        for secret_id in secret_ids:
            env.update(self.opened[secret_id])
        return env

    def reseal(self, store: "Store") -> tuple[int, Keyring]:
        """Seal every secret again under a new key (or, with the key in the environment, under the
        current one): how many, and the keyring to finish with once this is committed (``finish``)."""
        old = self.keyring(store)
        new = old.rotation()
        rows = store.all_secrets()
        with store.transaction():
            for secret_id, kid, sealed in rows:
                store.reseal_secret(secret_id, *new.seal(secret_id, old.open(secret_id, kid, sealed)))
        return len(rows), new

    def finish(self, keyring: Keyring) -> None:
        """The reseal is committed: its key becomes the key (file renamed into place)."""
        keyring.finish_rotation()
        self._keyring = keyring
