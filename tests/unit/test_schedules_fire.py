"""Schedules on a fake clock: the real Dispatcher and store, ticks driven by hand (no worker, so
fired calls just queue)."""

import asyncio
import json

from leveret._wire import api_pb2 as pb
from leveret.server import views
from leveret.server.api.convert import function_spec, read_spec
from leveret.server.dispatch import Dispatcher
from leveret.server.logs import LogHub
from leveret.server.store import open_store

T0 = 1_800_000_000.0   # a fixed "now"


def deployed(store, spec: dict, now: float):
    d = Dispatcher(store, LogHub(store))
    app_id, version = d.create_app("etl", "test", deploy=True)
    d.create_function(app_id, function_spec(pb.FunctionDefinition(name="poll", module="m", schedule=json.dumps(spec))))
    d.deployments.publish(app_id, now)
    return d


def scheduled_calls(d):
    """The calls of fired ticks that ``d`` holds (with no worker they wait in its queue)."""
    return sorted(call_id for _, call_id in d.store.ticks("etl", "poll") if views.holds_call(d, call_id))


def run(coro_fn):
    async def main():
        return coro_fn()
    return asyncio.run(main())


def test_a_period_fires_once_per_tick_and_a_missed_stretch_fires_once(tmp_path):
    def body():
        store = open_store(str(tmp_path / "s.db"))
        d = deployed(store, {"period": {"minutes": 5}}, T0)
        d.tick(T0 + 299)
        assert scheduled_calls(d) == []
        d.tick(T0 + 301)
        assert len(scheduled_calls(d)) == 1
        d.tick(T0 + 302)
        d.tick(T0 + 350)
        assert len(scheduled_calls(d)) == 1          # the same tick never fires twice
        d.tick(T0 + 3 * 3600)                        # 35 ticks missed: one fires, the latest
        assert len(scheduled_calls(d)) == 2
        assert [t for t, _ in store.ticks("etl", "poll")] == [T0 + 300, T0 + 3 * 3600]
        d.writes.flush()
        return store

    run(body)


def test_a_restarted_server_does_not_fire_a_tick_again_and_catches_up_once(tmp_path):
    path = str(tmp_path / "s.db")

    def first():
        store = open_store(path)
        d = deployed(store, {"cron": "0 6 * * *", "timezone": "Europe/Stockholm"}, T0)
        day = 24 * 3600
        d.tick(T0 + day)                 # one 06:00 passed
        fired = scheduled_calls(d)
        assert len(fired) == 1
        d.writes.flush()
        store.close()
        return fired

    fired = run(first)

    def second():
        store = open_store(path)        # the restarted server: same store, same deployment
        store.stop_all_apps("the server restarted", keep_deployed=True)
        d = Dispatcher(store, LogHub(store), read_spec=read_spec)
        assert d.deployments.restore() == 1
        assert scheduled_calls(d) == fired   # the fired call's input had no output: queued again
        d.tick(T0 + 24 * 3600 + 60)          # the same 06:00: already fired
        assert scheduled_calls(d) == fired
        d.tick(T0 + 5 * 24 * 3600)           # down four days: one catch-up tick, not four
        assert len(scheduled_calls(d)) == 2
        ticks = [t for t, _ in store.ticks("etl", "poll")]
        assert len(ticks) == len(set(ticks)) == 2
        d.writes.flush()

    run(second)


def test_two_servers_on_one_store_fire_each_tick_once(tmp_path):
    def body():
        path = str(tmp_path / "s.db")
        a = deployed(open_store(path), {"period": {"seconds": 10}}, T0)
        b_store = open_store(path)
        b = Dispatcher(b_store, LogHub(b_store), read_spec=read_spec)
        b.deployments.restore()
        for i, now in enumerate((T0 + 11, T0 + 25, T0 + 31)):
            first, second = (a, b) if i % 2 == 0 else (b, a)
            first.tick(now)
            second.tick(now)
        ticks = [t for t, _ in b_store.ticks("etl", "poll")]
        assert ticks == [T0 + 10, T0 + 20, T0 + 30]
        assert (len(scheduled_calls(a)), len(scheduled_calls(b))) == (2, 1)   # whoever claimed a tick fired it
        a.writes.flush()
        b.writes.flush()

    run(body)
