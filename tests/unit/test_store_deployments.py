"""The store's deployments, schedules and worker tokens, and function stats, on SQLite and on PostgreSQL."""

import pytest

from test_store_contract import (output, reader, store, store_url,  # noqa: F401,F811  (fixtures: on both backends)
                                 ticking_clock)


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
