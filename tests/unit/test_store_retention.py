"""The store's contract for retention (store/retention.py), on SQLite and on PostgreSQL: the
fixtures of test_store_contract.py run each test on both."""

import pytest

from leveret.server.store import retention
from leveret.testing import FakeClock
from test_store_contract import count, store, store_url  # noqa: F401  (fixtures: each test on both backends)

SUCCESS, FAILURE, ITEM = 1, 2, 3
CUT = 2000.0


@pytest.fixture
def clock(store):
    """The store's clock: set ``clock.now`` before each write."""
    store.clock = FakeClock(1000.0)
    return store.clock


@pytest.fixture
def app(store, clock):
    """A running app ap-1 with function fu-1."""
    store.create_app("ap-1", "etl", "")
    store.create_function("fu-1", "ap-1", "f", b"")
    return "ap-1"


def call(store, clock, call_id, *, at, kind="spawn", inputs=1, total=-1, finals=None, finished_at=None,
         items=0, function_id="fu-1"):
    """A call created at ``at`` with ``inputs`` inputs, ``items`` generator items, then ``finals``
    final outputs (default: one per input) stored at ``finished_at`` (default: ``at``)."""
    clock.now = at
    store.create_call(call_id, function_id, kind, inputs if total == -1 else total,
                      [(f"in-{call_id}-{i}", i, b"args") for i in range(inputs)])
    clock.now = at if finished_at is None else finished_at
    statuses = [ITEM] * items + [SUCCESS] * (inputs if finals is None else finals)
    store.add_outputs([(f"in-{call_id}-{min(seq, inputs - 1)}", call_id, seq, 0, status, b"out", 0, "", "ct-1")
                       for seq, status in enumerate(statuses)])


def prune_all(store, before, *, keep=(), limit=10_000):
    """Every step of a prune at ``before``: the ids it deleted, in order."""
    ids, after = [], None
    while (step := store.prune_calls(before, limit, keep=keep, after=after)).more:
        assert step.rows <= limit
        ids += step.call_ids
        after = step.after
    return ids


def left(store, call_id):
    """(calls, inputs, outputs) rows of a call still stored."""
    return tuple(store.db.execute(store.dialect.sql(f"SELECT COUNT(*) FROM {table} WHERE {key} = ?"), (call_id,))
                 .fetchone()[0] for table, key in (("calls", "id"), ("inputs", "call_id"), ("outputs", "call_id")))


def test_finished_calls_before_the_cut_go_with_their_inputs_and_outputs(store, clock, app):
    call(store, clock, "fc-done", at=1000, inputs=3)
    call(store, clock, "fc-failed", at=1001, finals=1, inputs=1, total=1)
    call(store, clock, "fc-gen", at=1002, inputs=1, items=5)          # a generator: items, then done
    assert prune_all(store, CUT) == ["fc-done", "fc-failed", "fc-gen"]
    assert count(store, "calls") == count(store, "inputs") == count(store, "outputs") == 0


def test_unfinished_calls_stay(store, clock, app):
    call(store, clock, "fc-running", at=1000, inputs=3, finals=2)
    call(store, clock, "fc-yielding", at=1000, inputs=1, items=4, finals=0)   # items are not final
    call(store, clock, "fc-queued", at=1000, inputs=1, finals=0)
    call(store, clock, "fc-scheduled", at=1000, kind="schedule", inputs=1, finals=0)
    assert prune_all(store, CUT) == []
    assert left(store, "fc-running") == (1, 3, 2)
    assert left(store, "fc-yielding") == (1, 1, 4)


def test_calls_created_or_finished_after_the_cut_stay(store, clock, app):
    call(store, clock, "fc-old", at=1000)
    call(store, clock, "fc-late", at=1000, finished_at=CUT + 1)   # made before the cut, done after it
    call(store, clock, "fc-new", at=CUT + 1)
    assert prune_all(store, CUT) == ["fc-old"]
    assert left(store, "fc-late") == left(store, "fc-new") == (1, 1, 1)


def test_calls_of_an_app_stopped_before_the_cut_go_finished_or_not(store, clock, app):
    call(store, clock, "fc-half", at=1000, inputs=4, finals=1)
    call(store, clock, "fc-queued", at=1000, inputs=2, finals=0)
    clock.now = 1500
    store.stop_app(app, "its client went away")
    assert prune_all(store, 1400) == []            # stopped after that cut
    assert prune_all(store, CUT) == ["fc-half", "fc-queued"]
    assert count(store, "inputs") == count(store, "outputs") == 0


def test_unfinished_calls_of_a_running_or_deployed_app_stay(store, clock, app):
    store.create_app("ap-2", "etl", "", deploy=True)
    store.publish("ap-2", None)
    store.create_function("fu-2", "ap-2", "f", b"")
    call(store, clock, "fc-spawned", at=1000, inputs=1, finals=0, function_id="fu-2")
    call(store, clock, "fc-other", at=1000, inputs=1, finals=0)
    assert prune_all(store, CUT) == []


def test_a_remote_or_map_call_that_is_not_kept_goes_finished_or_not(store, clock, app):
    """Their callers stream them from the server's memory: one the server no longer holds (a
    restart ended it) can never finish."""
    call(store, clock, "fc-map", at=1000, kind="map", inputs=3, finals=1)
    call(store, clock, "fc-remote", at=1001, kind="remote", inputs=1, finals=0)
    call(store, clock, "fc-open-map", at=1002, kind="map", inputs=2, total=None, finals=0)
    assert prune_all(store, CUT, keep={"fc-open-map"}) == ["fc-map", "fc-remote"]
    assert prune_all(store, CUT) == ["fc-open-map"]


def test_kept_calls_stay_and_those_behind_them_still_go(store, clock, app):
    for i in range(6):
        call(store, clock, f"fc-{i}", at=1000 + i)
    assert prune_all(store, CUT, keep={"fc-0", "fc-3"}) == ["fc-1", "fc-2", "fc-4", "fc-5"]
    assert left(store, "fc-0") == left(store, "fc-3") == (1, 1, 1)


def test_calls_go_oldest_first(store, clock, app, monkeypatch):
    monkeypatch.setattr(retention, "CALLS_PER_STEP", 2)
    for i in (3, 1, 4, 0, 2):
        call(store, clock, f"fc-{i}", at=1000 + i)
    step = store.prune_calls(CUT, 10_000)
    assert step.call_ids == ["fc-0", "fc-1"]
    assert store.prune_calls(CUT, 10_000, after=step.after).call_ids == ["fc-2", "fc-3"]


def test_a_big_call_goes_over_several_steps_of_at_most_limit_rows(store, clock, app):
    call(store, clock, "fc-big", at=1000, kind="map", inputs=10, items=3)   # 10 inputs, 13 outputs
    call(store, clock, "fc-small", at=1001)
    call(store, clock, "fc-spawn", at=1002, inputs=1, items=6)
    steps, after = [], None
    while (step := store.prune_calls(CUT, 4, after=after)).more:
        steps.append((step.call_ids, step.rows))
        after = step.after
    assert [rows for _, rows in steps] == [4] * 8 + [1]     # 10 + 13 + 2 + 8 rows
    assert [ids for ids, _ in steps] == [[]] * 8 + [["fc-big", "fc-small", "fc-spawn"]]
    assert count(store, "calls") == count(store, "inputs") == count(store, "outputs") == 0


def test_a_call_cut_short_by_its_batch_is_still_pruned_later(store, clock, app):
    """Its inputs gone and its outputs half gone (its final one too, maybe), a call is still
    prunable: a later prune, from the start, finishes it."""
    call(store, clock, "fc-spawn", at=1000, inputs=1, items=5)
    assert store.prune_calls(CUT, 3).call_ids == []       # its input and 2 of its 6 outputs
    assert left(store, "fc-spawn") == (1, 0, 4)
    assert store.prune_calls(CUT, 3).call_ids == []
    assert left(store, "fc-spawn") == (1, 0, 1)
    assert prune_all(store, CUT) == ["fc-spawn"]
    assert left(store, "fc-spawn") == (0, 0, 0)


def test_stopped_containers_and_left_workers_go_after_the_cut(store, clock):
    clock.now = 1000
    for ct in ("ct-stopped", "ct-failed", "ct-late", "ct-running"):
        store.add_container(ct, "fu-1", "ap-1", "wk-1")
    store.update_container("ct-stopped", "stopped", exit_code=0)
    store.update_container("ct-failed", "failed", exit_code=1)
    store.update_container("ct-running", "ready")
    store.add_worker("wk-gone", "a", "crun", {})
    store.add_worker("wk-here", "b", "crun", {})
    store.worker_disconnected("wk-gone")
    clock.now = CUT + 1
    store.update_container("ct-late", "stopped", exit_code=0)
    assert store.delete_ended(CUT, 2) == 2
    assert store.delete_ended(CUT, 2) == 1
    assert store.delete_ended(CUT, 2) == 0
    assert {r[0] for r in store.db.execute("SELECT id FROM containers").fetchall()} == {"ct-late", "ct-running"}
    assert [r[0] for r in store.db.execute("SELECT id FROM workers").fetchall()] == ["wk-here"]
