"""The store's rows of payload blobs (store/payloads.py), on SQLite and PostgreSQL. A database made
before payloads could be blobs gets their columns: test_store_migrations.py."""

from test_store_contract import store, store_url  # noqa: F401,F811  (fixtures: each test on both backends)


def test_inputs_and_outputs_name_their_blobs_and_the_call_owns_them(store):
    store.add_blob("bl-a", 10)
    store.add_blob("bl-b", 20)
    store.add_blob("bl-c", 30)
    store.create_call("fc-1", "fu-1", "spawn", 2, [("in-1", 0, b"", "bl-a"), ("in-2", 1, b"small")])
    store.add_outputs([("in-1", "fc-1", 0, 0, 1, b"", 0, "", "ct-1", "bl-b")])
    assert sorted(store.blobs_of_calls(["fc-1"])) == ["bl-a", "bl-b"]
    assert [row[6:] for row in store.unfinished_inputs(["fu-1"])] == [(b"small", "")]
    assert store.get_outputs("fc-1", 0)[0][5] == "bl-b"
    assert store.unattached_blobs(before=2**40, limit=10) == ["bl-c"]
    store.delete_blob_rows(["bl-a", "bl-b"])
    assert store.blobs_of_calls(["fc-1"]) == [] and store.blob_size("bl-c") == 30

