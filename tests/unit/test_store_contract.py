"""The store's contract: every test runs on SQLite and on PostgreSQL (a real server, see
tests/_postgres.py). Backend-only behaviour lives in test_sqlite_store.py / test_postgres_store.py."""

import hashlib
import itertools
import types

import pytest

from leveret.server.store import open_store
from leveret.server.store.calls import CallGraphTooBig


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite://{tmp_path}/state.db"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def store(store_url):
    s = open_store(store_url)
    yield s
    s.close()


@pytest.fixture
def reader(store, store_url):
    """A second connection to the same database: sees only what is committed."""
    r = open_store(store_url)
    yield r
    r.close()


@pytest.fixture
def ticking_clock(store):
    """Each time the store reads its clock it is one second later, so 'latest' is well defined."""
    ticks = itertools.count(1000)
    store.clock = types.SimpleNamespace(time=lambda: float(next(ticks)))


def count(store, table):
    return store.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def output(call_id, seq, *, idx=0, status=1, data=b"", gen_index=0, message="", input_id="in-1", container_id="ct-1"):
    return (input_id, call_id, seq, idx, status, data, gen_index, message, container_id)


def sha(n):
    return hashlib.sha256(str(n).encode()).hexdigest()


# ---------------------------------------------------------------------- apps


def test_created_app_is_ephemeral(store):
    store.create_app("ap-1", "etl", "python etl.py")
    assert store.get_app("ap-1") == {"id": "ap-1", "name": "etl", "state": "ephemeral"}


def test_unknown_app_is_none(store):
    assert store.get_app("ap-nope") is None
    assert store.find_app("nope") is None


def test_stopped_app_is_stopped(store):
    store.create_app("ap-1", "etl", "")
    store.stop_app("ap-1", "done")
    assert store.get_app("ap-1")["state"] == "stopped"


def test_stop_all_apps_counts_only_running_ones(store):
    for app_id in ("ap-1", "ap-2", "ap-3"):
        store.create_app(app_id, "etl", "")
    store.stop_app("ap-1", "done")
    assert store.stop_all_apps("server restarted") == 2
    assert {store.get_app(a)["state"] for a in ("ap-1", "ap-2", "ap-3")} == {"stopped"}


def test_find_app_by_id(store):
    store.create_app("ap-1", "etl", "")
    store.create_app("ap-2", "etl", "")
    assert store.find_app("ap-1")["id"] == "ap-1"


def test_find_app_by_name_returns_the_latest(store, ticking_clock):
    store.create_app("ap-b", "etl", "")
    store.create_app("ap-a", "etl", "")   # later, though its id sorts first
    store.create_app("ap-c", "other", "")
    assert store.find_app("etl")["id"] == "ap-a"


def test_find_app_prefers_an_id_match_over_a_name_match(store, ticking_clock):
    store.create_app("ap-1", "etl", "")
    store.create_app("ap-2", "ap-1", "")   # a later app whose name is the first one's id
    assert store.find_app("ap-1")["id"] == "ap-1"


def test_names_with_placeholder_and_percent_characters_are_plain_values(store):
    store.create_app("ap-1", "100% ? %s", "")
    assert store.find_app("100% ? %s")["id"] == "ap-1"


# ---------------------------------------------------------------------- functions


def test_function_round_trip_gives_bytes_back(store):
    store.create_function("fu-1", "ap-1", "f", b"\x00\xffdef")
    app_id, name, definition = store.get_function("fu-1")
    assert (app_id, name, definition) == ("ap-1", "f", b"\x00\xffdef")
    assert type(definition) is bytes
    assert store.get_function("fu-nope") is None


# ---------------------------------------------------------------------- calls and transactions


def test_create_call_stores_the_call_and_its_inputs(store):
    store.create_call("fc-1", "fu-1", "map", None, [("in-1", 0, b"a"), ("in-2", 1, b"b")])
    assert store.get_call("fc-1") == ("fu-1", "map", None)
    assert count(store, "inputs") == 2


def test_create_call_with_a_bad_input_stores_nothing(store):
    with pytest.raises(store.IntegrityError):
        store.create_call("fc-1", "fu-1", "map", None, [("in-1", 0, b"a"), ("in-1", 1, b"b")])
    assert store.get_call("fc-1") is None
    assert count(store, "inputs") == 0


def test_set_call_total(store):
    store.create_call("fc-1", "fu-1", "map", None, [])
    store.set_call_total("fc-1", 7)
    assert store.get_call("fc-1") == ("fu-1", "map", 7)


def test_call_graph_follows_the_calls_inputs_made_level_by_level(store):
    store.create_function("fu-a", "ap-1", "a", b"")
    store.create_function("fu-b", "ap-1", "b", b"")
    store.create_call("fc-1", "fu-a", "map", 2, [("in-1-0", 0, b""), ("in-1-1", 1, b"")])
    store.create_call("fc-2", "fu-b", "spawn", 1, [("in-2-0", 0, b"")], parent_input="in-1-1")
    store.create_call("fc-3", "fu-b", "map", 2, [("in-3-0", 0, b""), ("in-3-1", 1, b"")], parent_input="in-2-0")
    store.create_call("fc-9", "fu-b", "spawn", 1, [("in-9-0", 0, b"")])   # another client's: not in the tree
    # in-1-0 failed once, then succeeded (its last output counts); a generator's items are not results
    store.add_outputs([("in-1-0", "fc-1", 0, 0, 2, b"", 0, "", "ct-x"), ("in-1-0", "fc-1", 1, 0, 1, b"", 0, "", "ct-y"),
                       ("in-3-0", "fc-3", 0, 0, 3, b"", 0, "", "ct-z")])
    assert store.call_graph("fc-1") == [
        ("in-1-0", "fc-1", "", "fu-a", "a", 0, 1, "ct-y"), ("in-1-1", "fc-1", "", "fu-a", "a", 1, 0, ""),
        ("in-2-0", "fc-2", "in-1-1", "fu-b", "b", 0, 0, ""),
        ("in-3-0", "fc-3", "in-2-0", "fu-b", "b", 0, 0, ""), ("in-3-1", "fc-3", "in-2-0", "fu-b", "b", 1, 0, "")]
    assert [r[0] for r in store.call_graph("fc-2")] == ["in-2-0", "in-3-0", "in-3-1"]
    assert store.call_graph("fc-nope") is None
    with pytest.raises(CallGraphTooBig, match="more than 4 inputs"):
        store.call_graph("fc-1", limit=4)


def test_dict_entries_put_get_pop_and_page_in_key_order(store):
    assert store.dict_put("di-1", [(b"b", b"2"), (b"a", b"1")], skip_if_exists=False) == 2
    assert store.dict_put("di-1", [(b"a", b"x"), (b"c", b"3")], skip_if_exists=True) == 1   # a keeps its value
    assert store.dict_put("di-1", [(b"b", b"two")], skip_if_exists=False) == 1
    assert store.dict_get("di-1", b"a") == b"1" and store.dict_get("di-2", b"a") is None
    assert store.dict_page("di-1", None, 2) == [(b"a", b"1"), (b"b", b"two")]
    assert store.dict_page("di-1", b"b", 2) == [(b"c", b"3")]
    assert store.dict_get("di-1", b"a", pop=True) == b"1" and store.dict_get("di-1", b"a") is None
    assert store.dict_len("di-1") == 2 and store.dict_len("di-1", clear=True) == 2 and store.dict_len("di-1") == 0


def test_a_reader_sees_what_is_committed_and_refuses_to_write(store):
    r = store.reader()
    try:
        with store.transaction():
            store.create_app("ap-1", "etl", "")
            assert r.get_app("ap-1") is None        # not committed yet: a reader does not wait for it
        assert r.get_app("ap-1")["name"] == "etl"
        with pytest.raises(Exception, match="read-?only"):
            r.create_app("ap-2", "etl", "")
        assert store.get_app("ap-2") is None
    finally:
        r.close()


def test_failure_inside_transaction_rolls_back_everything_in_it(store):
    with pytest.raises(RuntimeError), store.transaction():
        store.create_app("ap-1", "etl", "")
        store.create_call("fc-1", "fu-1", "remote", 1, [("in-1", 0, b"a")])   # a nested transaction
        store.add_outputs([output("fc-1", 0)])                                 # another one
        raise RuntimeError("boom")
    assert store.get_app("ap-1") is None
    assert store.get_call("fc-1") is None
    assert count(store, "inputs") == 0
    assert store.get_outputs("fc-1", 0) == []


def test_failure_in_a_nested_transaction_rolls_back_the_outer_one(store):
    with pytest.raises(RuntimeError), store.transaction():
        store.create_app("ap-1", "etl", "")
        with store.transaction():
            store.create_app("ap-2", "etl", "")
            raise RuntimeError("boom")
    assert store.get_app("ap-1") is None
    assert store.get_app("ap-2") is None


def test_store_commits_again_after_a_rollback(store, reader):
    with pytest.raises(RuntimeError), store.transaction():
        store.create_app("ap-1", "etl", "")
        raise RuntimeError("boom")
    with store.transaction():
        store.create_app("ap-2", "etl", "")
    assert reader.get_app("ap-2") is not None   # committed: another connection sees it
    assert reader.get_app("ap-1") is None


def test_writes_inside_a_transaction_are_invisible_to_others_until_commit(store, reader):
    with store.transaction():
        store.create_app("ap-1", "etl", "")
        assert reader.get_app("ap-1") is None
    assert reader.get_app("ap-1") is not None


def test_a_failed_statement_outside_a_transaction_leaves_the_store_usable(store):
    store.create_app("ap-1", "etl", "")
    with pytest.raises(store.IntegrityError):
        store.create_app("ap-1", "etl", "")
    store.create_app("ap-2", "etl", "")
    assert store.get_app("ap-2") is not None


def test_a_failed_commit_leaves_the_store_usable(store):
    db = store.db

    class CommitFails:   # the commit fails before it is tried: the transaction is still open
        def execute(self, sql, *args):
            if sql == "COMMIT":
                raise RuntimeError("disk full")
            return db.execute(sql, *args)

        def __getattr__(self, name):
            return getattr(db, name)

    store.db = CommitFails()
    with pytest.raises(RuntimeError, match="disk full"):
        with store.transaction():
            store.create_app("ap-1", "etl", "")
    store.db = db
    store.create_app("ap-2", "etl", "")
    assert store.get_app("ap-1") is None and store.get_app("ap-2") is not None


def test_reopening_a_store_keeps_its_data(store, store_url):
    store.create_app("ap-1", "etl", "")
    store.close()
    again = open_store(store_url)
    try:
        assert again.get_app("ap-1")["name"] == "etl"
    finally:
        again.close()


# ---------------------------------------------------------------------- outputs


def test_outputs_come_back_in_seq_order(store):
    store.add_outputs([output("fc-1", 2, idx=20), output("fc-1", 0, idx=0), output("fc-1", 1, idx=10)])
    assert [row[0] for row in store.get_outputs("fc-1", 0)] == [0, 10, 20]


def test_outputs_carry_their_fields(store):
    store.add_outputs([output("fc-1", 0, idx=3, status=3, data=b"\x00x", gen_index=5, message="m")])
    assert store.get_outputs("fc-1", 0) == [(3, 3, b"\x00x", 5, "m", "")]
    assert type(store.get_outputs("fc-1", 0)[0][2]) is bytes


def test_integers_are_64_bit(store):
    big = 2**40 + 1
    store.create_call("fc-1", "fu-1", "map", big, [("in-1", big, b"a")])
    store.add_outputs([output("fc-1", big, idx=big, gen_index=big)])
    assert store.get_call("fc-1") == ("fu-1", "map", big)
    assert store.get_outputs("fc-1", big) == [(big, 1, b"", big, "", "")]


def test_get_outputs_from_seq_skips_earlier_ones(store):
    store.add_outputs([output("fc-1", seq, idx=seq) for seq in range(5)])
    assert [row[0] for row in store.get_outputs("fc-1", 3)] == [3, 4]


def test_get_outputs_only_returns_that_calls_outputs(store):
    store.add_outputs([output("fc-1", 0, idx=1), output("fc-2", 0, idx=2)])
    assert [row[0] for row in store.get_outputs("fc-2", 0)] == [2]


def test_duplicate_output_is_ignored(store):
    store.add_outputs([output("fc-1", 0, data=b"first")])
    store.add_outputs([output("fc-1", 0, data=b"second")])
    assert [row[2] for row in store.get_outputs("fc-1", 0)] == [b"first"]


# ---------------------------------------------------------------------- blobs and mounts


def test_missing_blobs_of_an_empty_store_is_everything(store):
    assert store.missing_blobs([sha(1), sha(2)]) == [sha(1), sha(2)]


def test_put_and_get_blob(store):
    store.put_blobs([(sha(1), b"one")])
    assert store.get_blob(sha(1)) == b"one"
    assert type(store.get_blob(sha(1))) is bytes
    assert store.get_blob(sha(2)) is None


def test_put_existing_blob_is_ignored(store):
    store.put_blobs([(sha(1), b"one")])
    store.put_blobs([(sha(1), b"one"), (sha(2), b"two")])
    assert store.missing_blobs([sha(1), sha(2)]) == []


def test_missing_blobs_over_many_chunks_keeps_order(store):
    shas = [sha(i) for i in range(1234)]
    present = set(shas[::3])   # spread over every 500-sha chunk
    store.put_blobs([(s, b"x") for s in present])
    assert store.missing_blobs(shas) == [s for s in shas if s not in present]


def test_mount_round_trip(store):
    files = [{"path": "a.py", "sha256": sha(1), "mode": 0o644}]
    store.put_mount("mo-1", files)
    assert store.get_mount("mo-1") == files
    assert store.get_mount("mo-2") is None


# ---------------------------------------------------------------------- containers


def test_new_container_is_starting(store):
    store.add_container("ct-1", "fu-1", "ap-1", "wk-1")
    assert store.get_container("ct-1") == {"id": "ct-1", "function_id": "fu-1", "state": "starting",
                                           "exit_code": None, "message": None, "phases": {}, "app_id": "ap-1"}


def test_container_phases_round_trip_and_survive_later_updates(store):
    store.add_container("ct-1", "fu-1", "ap-1", "wk-1")
    phases = {"pull": 0.25, "import": 1.5}
    store.update_container("ct-1", "ready", phases=phases)
    store.update_container("ct-1", "stopped", exit_code=0, message="scaled down")
    got = store.get_container("ct-1")
    assert got["phases"] == phases
    assert (got["state"], got["exit_code"], got["message"]) == ("stopped", 0, "scaled down")


def test_unknown_container_is_none(store):
    assert store.get_container("ct-nope") is None


def test_failed_container_keeps_its_exit_code_and_message(store):
    store.add_container("ct-1", "fu-1", "ap-1", "wk-1")
    store.update_container("ct-1", "failed", exit_code=137, message="killed")
    store.update_container("ct-1", "failed")
    got = store.get_container("ct-1")
    assert (got["state"], got["exit_code"], got["message"], got["phases"]) == ("failed", 137, "killed", {})


def test_workers_are_recorded_and_disconnected(store):
    store.add_worker("wk-1", "host-a", "crun", {"cpus": 4})
    store.worker_disconnected("wk-1")
    [(hostname, info, disconnected)] = store.db.execute(
        "SELECT hostname, info, disconnected_at FROM workers").fetchall()
    assert (hostname, info) == ("host-a", '{"cpus": 4}')
    assert disconnected is not None


def test_a_worker_reconnecting_under_its_id_is_connected_again(store):
    store.add_worker("wk-1", "host-a", "crun", {"cpus": 4})
    store.worker_disconnected("wk-1")
    store.add_worker("wk-1", "host-a", "crun", {"cpus": 8})
    assert store.db.execute("SELECT id, info, disconnected_at FROM workers").fetchall() == [("wk-1", '{"cpus": 8}', None)]


def test_an_adopted_container_is_ready_again_on_its_worker_or_recorded_when_unknown(store):
    store.add_container("ct-1", "fu-1", "ap-1", "wk-1")
    store.update_container("ct-1", "failed", exit_code=-1, message="worker wk-1 disconnected")
    store.adopt_container("ct-1", "fu-1", "ap-1", "wk-2")
    store.adopt_container("ct-2", "fu-1", "ap-1", "wk-2")   # a store that never saw it (a new database)
    for container_id in ("ct-1", "ct-2"):
        got = store.get_container(container_id)
        assert (got["state"], got["exit_code"], got["message"]) == ("ready", None, None)
    assert store.db.execute("SELECT worker_id, stopped_at FROM containers WHERE id = 'ct-1'").fetchall() == [("wk-2", None)]
