"""The store's post-mortem reads (store/history.py), on SQLite and on PostgreSQL: an input's retried
attempts are kept beside its final output, shown by `call show` and an input's timeline, and go with
their call at retention."""

from leveret.testing import FakeClock
from test_store_contract import store, store_url  # noqa: F401  (fixtures: each test on both backends)

SUCCESS, FAILURE, TIMEOUT = 1, 2, 6


def a_retried_input(store):
    """fc-1 of two inputs: in-0 failed twice (a failure, then a timeout) and then succeeded; in-1
    succeeded at once."""
    store.clock = FakeClock(1000.0)
    store.create_app("ap-1", "etl", "")
    store.create_function("fu-1", "ap-1", "f", b"")
    store.create_call("fc-1", "fu-1", "map", 2, [("in-0", 0, b""), ("in-1", 1, b"")])
    store.add_attempts([("fc-1", "in-0", 1, FAILURE, 1000.5, 1001.0, "ct-1", "ValueError: no", "Traceback…\nValueError: no"),
                        ("fc-1", "in-0", 2, TIMEOUT, 1002.0, 1003.0, "ct-2", "timed out after 1 s", "")])
    store.clock.now = 1004.0
    store.add_outputs([("in-1", "fc-1", 0, 1, SUCCESS, b"", 0, "", "ct-1", "", 1, 1000.5, ""),
                       ("in-0", "fc-1", 1, 0, SUCCESS, b"", 0, "", "ct-3", "", 3, 1003.5, "")])


def test_call_details_give_each_input_its_retried_attempts_oldest_first(store):
    a_retried_input(store)
    [first, second] = store.call_details("fc-1")["inputs"]
    assert (first.input_id, first.status, first.attempt, first.container_id) == ("in-0", SUCCESS, 3, "ct-3")
    assert [(a.attempt, a.status, a.container_id, a.message) for a in first.earlier] == [
        (1, FAILURE, "ct-1", "ValueError: no"), (2, TIMEOUT, "ct-2", "timed out after 1 s")]
    assert first.earlier[0].traceback.endswith("ValueError: no") and first.earlier[0].started_at == 1000.5
    assert second.earlier == ()
    # a listing of the function's inputs gives the final outputs only
    assert [(r.input_id, r.attempt) for r in store.function_inputs("fu-1")] == [("in-1", 1), ("in-0", 3)]


def test_an_inputs_timeline_has_its_retried_attempts_then_its_output(store):
    a_retried_input(store)
    t = store.input_timeline("in-0")
    assert [(o["attempt"], o["status"], o["retried"]) for o in t["outputs"]] == [
        (1, "failure", True), (2, "timeout", True), (3, "success", False)]
    assert t["outputs"][0]["ts"] == 1001.0 and t["outputs"][0]["traceback"].startswith("Traceback")


def test_an_attempt_stored_twice_is_kept_once(store):
    a_retried_input(store)
    store.add_attempts([("fc-1", "in-0", 1, FAILURE, None, 1001.0, "ct-9", "again", "")])
    assert [a.container_id for a in store.call_details("fc-1")["inputs"][0].earlier] == ["ct-1", "ct-2"]


def test_retention_deletes_a_calls_attempts_with_it_however_small_its_steps(store):
    a_retried_input(store)
    after, ids = None, []
    while (step := store.prune_calls(5000.0, 1, after=after)).more:   # one row a step
        assert step.rows <= 1
        ids += step.call_ids
        after = step.after
    assert ids == ["fc-1"] and store.call_details("fc-1") is None
    assert store.db.execute("SELECT COUNT(*) FROM attempts").fetchone()[0] == 0


def test_a_functions_activity_is_the_mean_of_its_inputs_and_containers_over_each_span(store):
    store.clock = FakeClock(1000.0)
    store.create_app("ap-1", "etl", "")
    store.create_function("fu-1", "ap-1", "f", b"")
    store.create_call("fc-1", "fu-1", "map", 2, [("in-0", 0, b""), ("in-1", 1, b"")])   # both queued at 1000
    store.clock.now = 1004.0
    store.add_outputs([("in-0", "fc-1", 0, 0, SUCCESS, b"", 0, "", "ct-1", "", 1, 1001.0, ""),     # ran 1001-1004
                       ("in-1", "fc-1", 1, 1, SUCCESS, b"", 0, "", "ct-1", "", 1, 1002.0, "")])    # ran 1002-1004
    store.clock.now = 1000.5
    store.add_container("ct-1", "fu-1", "ap-1", "wk-1")   # up from 1000.5 to 1003.5
    store.clock.now = 1003.5
    store.update_container("ct-1", "stopped", exit_code=0)
    points = store.function_activity("fu-1", points=4)   # spans of 1 s from 1000 to 1004
    assert [t for t, *_ in points] == [1000.0, 1001.0, 1002.0, 1003.0]
    assert [q for _, q, _, _ in points] == [2.0, 1.0, 0.0, 0.0]
    assert [r for _, _, r, _ in points] == [0.0, 1.0, 2.0, 2.0]
    assert [c for *_, c in points] == [0.5, 1.0, 1.0, 0.5]
    assert store.function_activity("fu-none") == []
