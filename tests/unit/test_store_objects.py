"""Named objects' rows (store/objects.py), on SQLite and PostgreSQL: a name is unique per kind and
environment, listing is newest first and pages neither skip nor repeat, a delete takes one row."""

import threading

from leveret.server.store import open_store
from leveret.server.store.objects import ObjectRow
from test_store_contract import reader, store, store_url  # noqa: F401,F811  (fixtures: each test on both backends)


def row(object_id, name, *, kind="dict", environment="main", created_at=100.0, attributes=None):
    return ObjectRow(object_id, kind, environment, name, created_at, attributes or {})


def test_a_created_object_is_found_by_name_and_by_id_with_its_attributes(store, reader):
    made = row("di-1", "cache", attributes={"version": 2, "note": "é"})
    assert store.create_object(made)
    assert reader.get_object("dict", "main", "cache") == made   # committed: another connection sees it
    assert reader.get_object_by_id("di-1") == made


def test_missing_objects_are_none(store):
    store.create_object(row("di-1", "cache"))
    assert store.get_object("dict", "main", "other") is None
    assert store.get_object("dict", "dev", "cache") is None     # another environment
    assert store.get_object("queue", "main", "cache") is None   # another kind
    assert store.get_object_by_id("di-2") is None


def test_a_name_is_unique_per_kind_and_environment(store):
    assert store.create_object(row("di-1", "cache"))
    assert not store.create_object(row("di-2", "cache"))              # taken: nothing stored
    assert store.get_object("dict", "main", "cache").id == "di-1"
    assert store.get_object_by_id("di-2") is None
    assert store.create_object(row("qu-1", "cache", kind="queue"))     # same name, other kind
    assert store.create_object(row("di-3", "cache", environment="dev"))  # same name, other environment


def test_an_id_is_unique_whatever_the_name(store):
    assert store.create_object(row("di-1", "cache"))
    assert not store.create_object(row("di-1", "other"))
    assert store.get_object("dict", "main", "other") is None


def test_creating_one_name_at_once_from_many_connections_stores_one(store_url):
    stores = [open_store(store_url) for _ in range(4)]
    won: list[bool] = []
    barrier = threading.Barrier(len(stores))

    def create(i, s):
        barrier.wait()
        won.append(s.create_object(row(f"di-{i}", "cache")))

    threads = [threading.Thread(target=create, args=(i, s)) for i, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert sorted(won) == [False, False, False, True]
        assert len(stores[0].list_objects("dict", "main", limit=10)) == 1
    finally:
        for s in stores:
            s.close()


def test_list_is_one_kind_in_one_environment_newest_first(store):
    store.create_object(row("di-a", "a", created_at=1.0))
    store.create_object(row("di-c", "c", created_at=3.0))
    store.create_object(row("di-b", "b", created_at=2.0))
    store.create_object(row("qu-x", "x", kind="queue", created_at=4.0))
    store.create_object(row("di-y", "y", environment="dev", created_at=5.0))
    assert [o.name for o in store.list_objects("dict", "main", limit=10)] == ["c", "b", "a"]
    assert [o.name for o in store.list_objects("dict", "main", limit=2)] == ["c", "b"]
    assert [o.name for o in store.list_objects("dict", "main", limit=10, before=(3.0, ""))] == ["b", "a"]
    assert store.list_objects("dict", "nowhere", limit=10) == []


def test_pages_of_a_list_neither_skip_nor_repeat_objects_made_at_the_same_time(store):
    for i in range(7):
        store.create_object(row(f"di-{i}", f"n{i}", created_at=10.0 if i < 5 else 20.0))
    seen, before = [], None
    while True:
        page = store.list_objects("dict", "main", limit=3, before=before)
        seen += [o.id for o in page]
        if len(page) < 3:
            break
        before = (page[-1].created_at, page[-1].id)
    assert seen == ["di-6", "di-5", "di-4", "di-3", "di-2", "di-1", "di-0"]


def test_delete_takes_the_one_row_and_frees_its_name(store):
    store.create_object(row("di-1", "cache"))
    store.create_object(row("di-2", "other"))
    assert store.delete_object("di-1")
    assert not store.delete_object("di-1")
    assert store.get_object_by_id("di-1") is None
    assert store.get_object("dict", "main", "other").id == "di-2"
    assert store.create_object(row("di-3", "cache"))
