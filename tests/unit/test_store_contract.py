"""The store's contract: every test runs on SQLite and on PostgreSQL (a real server, see
tests/_postgres.py). Backend-only behaviour lives in test_sqlite_store.py / test_postgres_store.py."""

import hashlib
import itertools
import types

import pytest

from leveret.server.store import LogFilter, base, open_store


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


# ---------------------------------------------------------------------- logs


def log(app_id, text, *, input_id="in-1"):
    return (app_id, "f", "ct-1", input_id, 1, 1.5, text)


def test_logs_come_back_in_order_with_their_seq(store):
    last = store.add_logs([log("ap-1", "a"), log("ap-1", "b"), log("ap-1", "c")])
    rows = store.get_logs("ap-1")
    assert [r[7] for r in rows] == ["a", "b", "c"]
    assert [r[0] for r in rows] == [last - 2, last - 1, last]   # consecutive: the log hub relies on it


def test_logs_row_shape(store):
    store.add_logs([("ap-1", "f", "ct-1", "in-9", 2, 1.5, "hello")])
    [(seq, *rest)] = store.get_logs("ap-1")
    assert rest == ["ap-1", "f", "ct-1", "in-9", 2, 1.5, "hello"]


def test_log_timestamps_keep_double_precision(store):
    store.add_logs([("ap-1", "f", "ct-1", "in-1", 1, 1722000000.123456, "t")])
    assert store.get_logs("ap-1")[0][6] == 1722000000.123456


def test_get_logs_after_seq(store):
    first = store.add_logs([log("ap-1", "a"), log("ap-1", "b")])
    store.add_logs([log("ap-1", "c")])
    assert [r[7] for r in store.get_logs("ap-1", after_seq=first)] == ["c"]


def test_get_logs_filters_by_app_and_honours_limit(store):
    store.add_logs([log("ap-1", "a"), log("ap-2", "x"), log("ap-1", "b"), log("ap-1", "c")])
    assert [r[7] for r in store.get_logs("ap-1", limit=2)] == ["a", "b"]
    assert [r[7] for r in store.get_logs("ap-2")] == ["x"]


def rich_logs(store):
    """Lines of two functions in two containers at times 10, 20, ... 80."""
    rows = [("ap-1", fn, ct, "in-1", 1, float(t), text) for fn, ct, t, text in (
        ("train", "ct-a", 10, "epoch 1 loss=0.9"), ("eval", "ct-b", 20, "ERROR bad batch"),
        ("train", "ct-a", 30, "epoch 2 loss=0.5"), ("train", "ct-c", 40, "error: retrying"),
        ("eval", "ct-b", 50, "accuracy 0.93"), ("train", "ct-c", 60, "epoch 3 loss=0.3"),
        ("eval", "ct-b", 70, "ERROR again"), ("train", "ct-a", 80, "done 100%_?"),
    )]
    store.add_logs(rows + [("ap-2", "train", "ct-z", "in-2", 1, 45.0, "other app ERROR")])


def texts(rows):
    return [r[7] for r in rows]


@pytest.mark.parametrize("flt, expected", [
    (LogFilter(function_name="eval"), ["ERROR bad batch", "accuracy 0.93", "ERROR again"]),
    (LogFilter(container_id="ct-c"), ["error: retrying", "epoch 3 loss=0.3"]),
    (LogFilter(since=30.0, until=50.0), ["epoch 2 loss=0.5", "error: retrying", "accuracy 0.93"]),
    (LogFilter(search="ERROR"), ["ERROR bad batch", "ERROR again"]),   # case-sensitive, this app only
    (LogFilter(search="%_?"), ["done 100%_?"]),                        # no wildcards, no placeholders
    (LogFilter(function_name="train", search="epoch", since=25.0), ["epoch 2 loss=0.5", "epoch 3 loss=0.3"]),
    (LogFilter(function_name="nope"), []),
])
def test_get_logs_applies_every_filter_like_a_live_line_would(store, flt, expected):
    rich_logs(store)
    rows = store.get_logs("ap-1", flt=flt)
    assert texts(rows) == expected
    every = store.get_logs("ap-1")
    assert texts(r for r in every if flt.matches(r[2], r[3], r[6], r[7])) == expected


def test_tail_logs_gives_the_last_matching_lines_oldest_first(store):
    rich_logs(store)
    assert texts(store.tail_logs("ap-1", 2)) == ["ERROR again", "done 100%_?"]
    assert texts(store.tail_logs("ap-1", 2, LogFilter(function_name="train"))) == ["epoch 3 loss=0.3", "done 100%_?"]
    assert texts(store.tail_logs("ap-1", 50, LogFilter(search="ERROR"))) == ["ERROR bad batch", "ERROR again"]
    assert store.tail_logs("ap-3", 5) == []


def test_last_log_seq(store):
    assert store.last_log_seq() == 0
    last = store.add_logs([log("ap-1", "a"), log("ap-2", "b")])
    assert store.last_log_seq() == last


def test_lines_numbered_by_the_log_hub_keep_their_seqs_and_no_seq_is_given_twice(store):
    store.add_logs([log("ap-1", "a")])
    assert store.add_logs([log("ap-1", "b"), log("ap-2", "c")], first_seq=5) == 6
    assert [(r[0], r[7]) for r in store.get_logs("ap-1")] == [(1, "a"), (5, "b")]
    assert store.last_log_seq() == 6
    assert store.delete_oldest_logs(10 ** 9, 100)[0] == 3       # every line gone
    assert store.last_log_seq() == 6                             # its seqs are not given again
    assert store.add_logs([log("ap-1", "d")]) == 7               # by the store either
    assert store.add_logs([log("ap-1", "e")], first_seq=8) == 8


def test_logs_size_counts_text_and_a_cost_per_line(store):
    assert store.logs_size() == 0
    store.add_logs([log("ap-1", "abc"), log("ap-1", "de")])
    assert store.logs_size() == 5 + 2 * base.LOG_ROW_BYTES


def test_deleting_logs_before_a_time_goes_oldest_first_in_batches(store):
    rich_logs(store)
    assert store.delete_logs_before(45.0, limit=2) == (2, len("epoch 1 loss=0.9ERROR bad batch") + 2 * base.LOG_ROW_BYTES)
    assert store.delete_logs_before(45.0, limit=10)[0] == 2   # ap-2's line at 45 is not before 45
    assert store.delete_logs_before(45.0, limit=10) == (0, 0)
    assert texts(store.get_logs("ap-1")) == ["accuracy 0.93", "epoch 3 loss=0.3", "ERROR again", "done 100%_?"]
    assert texts(store.get_logs("ap-2")) == ["other app ERROR"]


def test_deleting_the_oldest_logs_frees_at_least_what_was_asked(store):
    store.add_logs([log("ap-1", "x" * 10) for _ in range(5)])
    one = 10 + base.LOG_ROW_BYTES
    assert store.delete_oldest_logs(one + 1, limit=100) == (2, 2 * one)
    assert store.delete_oldest_logs(10 * one, limit=2) == (2, 2 * one)   # the limit holds
    assert len(store.get_logs("ap-1")) == 1
    assert store.delete_oldest_logs(10 * one, limit=100) == (1, one)
    assert store.delete_oldest_logs(1, limit=100) == (0, 0)


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
                                           "exit_code": None, "message": None, "phases": {}}


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


# ---------------------------------------------------------------------- deployments


def test_deploying_numbers_versions_per_name(store, ticking_clock):
    assert store.create_app("ap-1", "etl", "deploy etl.py", deploy=True) == 1
    assert store.create_app("ap-2", "etl", "deploy etl.py", deploy=True) == 2
    assert store.create_app("ap-3", "other", "", deploy=True) == 1
    assert store.create_app("ap-4", "etl", "run", deploy=False) == 0
    assert store.get_app("ap-1")["state"] == "deploying"
    assert store.app_versions("etl") == []          # not versions until published
    store.publish("ap-1", None)
    store.publish("ap-2", "ap-1")
    assert [(v["version"], v["state"]) for v in store.app_versions("etl")] == [(2, "deployed"), (1, "draining")]
    assert store.create_app("ap-5", "etl", "", deploy=True) == 3   # a deploy that fails never shows up
    store.stop_app("ap-5", "its deploy failed")
    assert [v["version"] for v in store.app_versions("etl")] == [2, 1]


def test_app_states_and_listing(store, ticking_clock):
    store.create_app("ap-1", "etl", "v1", deploy=True)
    store.publish("ap-1", None)
    store.create_app("ap-2", "etl", "v2", deploy=True)
    store.publish("ap-2", "ap-1")
    store.create_app("ap-3", "scratch", "run")
    store.stop_app("ap-3", "done")
    store.set_app_state("ap-3", "deployed")   # a stopped app stays stopped
    assert [a["id"] for a in store.list_apps()] == ["ap-2", "ap-1"]
    assert [a["id"] for a in store.list_apps(include_stopped=True)] == ["ap-3", "ap-2", "ap-1"]
    assert [a["id"] for a in store.apps_in_state("deployed")] == ["ap-2"]
    info = store.app_versions("etl")[0]
    assert (info["id"], info["state"], info["version"], info["description"]) == ("ap-2", "deployed", 2, "v2")


def test_a_restart_stops_runs_but_keeps_deployments(store):
    store.create_app("ap-1", "etl", "", deploy=True)
    store.set_app_state("ap-1", "deployed")
    store.create_app("ap-2", "etl", "", deploy=True)
    store.set_app_state("ap-2", "draining")
    store.create_app("ap-3", "etl", "", deploy=True)   # a deploy cut short
    store.create_app("ap-4", "run", "")
    assert store.stop_all_apps("the server restarted", keep_deployed=True) == 2
    assert [store.get_app(a)["state"] for a in ("ap-1", "ap-2", "ap-3", "ap-4")] == \
        ["deployed", "draining", "stopped", "stopped"]


def test_functions_of_an_app_and_their_unfinished_inputs(store, ticking_clock):
    store.create_function("fu-1", "ap-1", "f", b"def1")
    store.create_function("fu-2", "ap-1", "g", b"def2")
    store.create_function("fu-3", "ap-2", "f", b"def3")
    assert store.functions_of("ap-1") == [("fu-1", "f", b"def1"), ("fu-2", "g", b"def2")]
    store.create_call("fc-1", "fu-1", "spawn", 3, [("in-1-0", 0, b"a"), ("in-1-1", 1, b"b"), ("in-1-2", 2, b"c")])
    store.add_outputs([("in-1-0", "fc-1", 0, 0, 1, b"ok", 0, "", "ct-1"),      # final
                       ("in-1-1", "fc-1", 1, 1, 3, b"item", 0, "", "ct-1")])   # a generator item: not final
    store.create_call("fc-2", "fu-2", "map", 1, [("in-2-0", 0, b"d")])
    store.create_call("fc-3", "fu-1", "schedule", 1, [("in-3-0", 0, b"e", "bl-e")])
    assert store.unfinished_inputs(["fu-1"]) == [("fu-1", "fc-1", "spawn", 3, "in-1-1", 1, b"b", ""),
                                                 ("fu-1", "fc-1", "spawn", 3, "in-1-2", 2, b"c", ""),
                                                 ("fu-1", "fc-3", "schedule", 1, "in-3-0", 0, b"e", "bl-e")]
    assert store.unfinished_inputs(["fu-1", "fu-2"], ("spawn", "schedule")) == [
        ("fu-1", "fc-1", "spawn", 3, "in-1-1", 1, b"b", ""), ("fu-1", "fc-1", "spawn", 3, "in-1-2", 2, b"c", ""),
        ("fu-1", "fc-3", "schedule", 1, "in-3-0", 0, b"e", "bl-e")]
    assert [r[1] for r in store.unfinished_inputs(["fu-2"])] == ["fc-2"]
    assert store.unfinished_inputs(["fu-3"]) == [] and store.unfinished_inputs([]) == []
    assert store.outputs_of_calls(["fc-1", "fc-2", "fc-9"]) == {
        "fc-1": [(0, 1, b"ok", 0, "", ""), (1, 3, b"item", 0, "", "")]}
    # what a run's restore reads: calls not finished, their inputs, which of them have a final output
    assert store.open_calls("fu-1") == [("fc-1", "spawn", 3), ("fc-3", "schedule", 1)]
    assert store.call_inputs("fc-3") == [("in-3-0", 0, b"e", "bl-e")]
    assert store.finished_inputs("fc-1") == {"in-1-0"}


# ---------------------------------------------------------------------- schedules


def test_a_schedule_keeps_its_anchor_while_its_spec_stays(store):
    assert store.set_schedule("etl", "poll", '{"period": {"minutes": 5}}', 100.0) == 100.0
    assert store.set_schedule("etl", "poll", '{"period": {"minutes": 5}}', 200.0) == 100.0
    assert store.set_schedule("etl", "poll", '{"period": {"minutes": 1}}', 300.0) == 300.0


def test_each_tick_is_claimed_once(store, reader):
    assert store.last_tick("etl", "poll") is None
    assert store.claim_tick("etl", "poll", 60.0, "fc-1") is True
    assert reader.claim_tick("etl", "poll", 60.0, "fc-2") is False   # another server, same tick
    assert store.claim_tick("etl", "poll", 120.0, "fc-3") is True
    assert store.claim_tick("etl", "other", 60.0, "fc-4") is True
    assert reader.last_tick("etl", "poll") == 120.0
    assert store.ticks("etl", "poll") == [(60.0, "fc-1"), (120.0, "fc-3")]


def test_a_claimed_tick_rolls_back_with_its_transaction(store, reader):
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.claim_tick("etl", "poll", 60.0, "fc-1")
            raise RuntimeError("the call could not be stored")
    assert reader.claim_tick("etl", "poll", 60.0, "fc-2") is True


# ---------------------------------------------------------------------- worker tokens


def test_worker_tokens_are_kept_by_hash_and_revoked_once(store, reader):
    store.add_worker_token("wt-1", "host-a", "a" * 64)
    store.add_worker_token("wt-2", "host-b", "b" * 64)
    assert [(t["id"], t["name"], t["sha256"], t["revoked_at"]) for t in reader.worker_tokens()] == \
        [("wt-1", "host-a", "a" * 64, None), ("wt-2", "host-b", "b" * 64, None)]
    assert store.revoke_worker_token("wt-1") is True
    assert store.revoke_worker_token("wt-1") is False
    assert store.revoke_worker_token("wt-nope") is False
    assert reader.worker_tokens()[0]["revoked_at"] is not None
    with pytest.raises(store.IntegrityError):
        store.add_worker_token("wt-3", "host-c", "b" * 64)   # a hash is one token's


def test_function_stats_count_outcomes_and_time_results(store, ticking_clock):
    # the ticking clock: the call's inputs are stored at t=1000, each output one second later than the last
    store.create_call("fc-1", "fu-1", "map", 3, [("in-1-0", 0, b""), ("in-1-1", 1, b""), ("in-1-2", 2, b"")])
    store.add_outputs([("in-1-0", "fc-1", 0, 0, 1, b"", 0, "", "ct-1")])
    store.add_outputs([("in-1-1", "fc-1", 1, 1, 2, b"", 0, "boom", "ct-1")])
    store.add_outputs([("in-1-2", "fc-1", 2, 2, 3, b"item", 0, "", "ct-1")])   # a generator item: not a result
    store.add_container("ct-1", "fu-1", "ap-1", "wk-1")
    store.update_container("ct-1", "ready", phases={"total": 0.25})
    s = store.function_stats("fu-1")
    assert s["outputs_by_status"] == {"success": 1, "failure": 1}
    assert s["inputs"] == 3 and s["containers_started"] == 1 and s["cold_start_p50_s"] == 0.25
    assert (s["latency_p50_s"], s["latency_p99_s"]) == (1.0, 2.0)
    assert store.function_stats("fu-none")["latency_p50_s"] == 0.0


def test_an_input_timeline_has_its_queueing_and_outputs_in_order(store, ticking_clock):
    store.create_function("fu-1", "ap-1", "f", b"")
    store.create_call("fc-1", "fu-1", "spawn", 1, [("in-1-0", 0, b"")])
    store.add_outputs([("in-1-0", "fc-1", 0, 0, 3, b"", 0, "", "ct-1"), ("in-1-0", "fc-1", 1, 0, 4, b"", 1, "", "ct-1")])
    t = store.input_timeline("in-1-0")
    assert (t["call_id"], t["function"], t["app_id"], t["kind"]) == ("fc-1", "f", "ap-1", "spawn")
    assert [(o["status"], o["container_id"]) for o in t["outputs"]] == [("item", "ct-1"), ("generator done", "ct-1")]
    assert t["queued_at"] < t["outputs"][0]["ts"]
    assert store.input_timeline("in-nope") is None
