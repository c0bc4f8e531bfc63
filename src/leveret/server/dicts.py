"""Dicts: named objects of kind "dict" whose entries (pickled keys and values, opaque here) live in
the store, so they outlive runs and server restarts.

    DictUpdate ─▶ put (skip_if_exists keeps what is there)    DictGet ─▶ get / pop / contains
    DictLen ─▶ len / clear                                    DictContents ─▶ a page in key order
    ObjectDelete of a dict ─▶ its entries go with it (the kind's on_delete)

Every op first checks the dict is there (a deleted one is NOT_FOUND, naming how to make one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import Invalid
from .objects import Kind, register

if TYPE_CHECKING:
    from .store import Store

MAX_KEY_BYTES = 64 * 1024          # a pickled key
MAX_VALUE_BYTES = 2 * 1024 * 1024  # a pickled value: larger data goes in a Volume
MAX_ENTRIES = 10_000               # entries one update stores
PAGE = 1000                        # entries a contents page holds, at most


def _delete_entries(store: "Store", row) -> None:
    store.dict_len(row.id, clear=True)


DICT = register(Kind(name="dict", prefix="di", label="Dict", on_delete=_delete_entries))


def _check_key(key: bytes) -> None:
    if len(key) > MAX_KEY_BYTES:
        raise Invalid(f"a Dict key is at most {MAX_KEY_BYTES // 1024} KiB pickled, this one {len(key)} bytes")


def put(store: "Store", dict_id: str, entries: list[tuple[bytes, bytes]], skip_if_exists: bool) -> int:
    if len(entries) > MAX_ENTRIES:
        raise Invalid(f"a Dict update stores at most {MAX_ENTRIES} entries at once, not {len(entries)}: split it")
    for key, value in entries:
        _check_key(key)
        if len(value) > MAX_VALUE_BYTES:
            raise Invalid(f"a Dict value is at most {MAX_VALUE_BYTES // (1024 * 1024)} MiB pickled, this one"
                          f" {len(value)} bytes: keep large data in a Volume and its path in the Dict")
    DICT.check(store, dict_id)
    return store.dict_put(dict_id, entries, skip_if_exists)


def get(store: "Store", dict_id: str, key: bytes, pop: bool) -> bytes | None:
    _check_key(key)
    value = store.dict_get(dict_id, key, pop)
    if value is None:   # (a found entry's dict is there: a dict's entries go with it)
        DICT.check(store, dict_id)
    return value


def length(store: "Store", dict_id: str, clear: bool) -> int:
    DICT.check(store, dict_id)
    return store.dict_len(dict_id, clear)


def page(store: "Store", dict_id: str, after: bytes | None, limit: int) -> list[tuple[bytes, bytes]]:
    DICT.check(store, dict_id)
    return store.dict_page(dict_id, after, min(limit or PAGE, PAGE))
