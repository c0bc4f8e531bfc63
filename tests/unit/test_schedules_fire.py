"""Schedules on a fake clock: the real Dispatcher and store, ticks driven by hand (no worker, so
fired calls just queue)."""

import asyncio
import json

from leveret._wire import api_pb2 as pb
from leveret.server import views
from leveret.server.api.convert import function_spec, read_spec
from leveret.server.store import Store, open_store
from _server import dispatcher

T0 = 1_800_000_000.0   # a fixed "now"


async def deployed(store, spec: dict, now: float):
    d = dispatcher(store)
    app_id, version = await d.create_app("etl", "test", deploy=True)
    d.create_function(app_id, function_spec(pb.FunctionDefinition(name="poll", module="m", schedule=json.dumps(spec))))
    await d.deployments.publish(app_id, now)
    return d


async def tick(d, now: float) -> None:
    """A pass of the periodic task at ``now``, and what it fired stored and queued."""
    d.tick(now)
    await d.writes.settled()


async def scheduled_calls(d):
    """The calls of fired ticks that ``d`` holds (with no worker they wait in its queue)."""
    return sorted(call_id for _, call_id in await d.reads.run(Store.ticks, "etl", "poll") if views.holds_call(d, call_id))


async def ticks(d) -> list[float]:
    return [t for t, _ in await d.reads.run(Store.ticks, "etl", "poll")]


def test_a_period_fires_once_per_tick_and_a_missed_stretch_fires_once(tmp_path):
    async def main():
        d = await deployed(open_store(str(tmp_path / "s.db")), {"period": {"minutes": 5}}, T0)
        await tick(d, T0 + 299)
        assert await scheduled_calls(d) == []
        d.tick(T0 + 301)
        d.tick(T0 + 302)                             # while the first is being stored: not again
        await tick(d, T0 + 303)
        assert len(await scheduled_calls(d)) == 1
        await tick(d, T0 + 350)
        assert len(await scheduled_calls(d)) == 1          # the same tick never fires twice
        await tick(d, T0 + 3 * 3600)                 # 35 ticks missed: one fires, the latest
        assert len(await scheduled_calls(d)) == 2
        assert await ticks(d) == [T0 + 300, T0 + 3 * 3600]
        await d.close_store()

    asyncio.run(main())


def test_a_restarted_server_does_not_fire_a_tick_again_and_catches_up_once(tmp_path):
    path = str(tmp_path / "s.db")

    async def first():
        d = await deployed(open_store(path), {"cron": "0 6 * * *", "timezone": "Europe/Stockholm"}, T0)
        day = 24 * 3600
        await tick(d, T0 + day)          # one 06:00 passed
        fired = await scheduled_calls(d)
        assert len(fired) == 1
        await d.close_store()
        return fired

    fired = asyncio.run(first())

    async def second():
        store = open_store(path)        # the restarted server: same store, same deployment
        store.stop_all_apps("the server restarted", keep_deployed=True)
        d = dispatcher(store, read_spec=read_spec)
        assert await d.deployments.restore() == 1
        assert await scheduled_calls(d) == fired   # the fired call's input had no output: queued again
        await tick(d, T0 + 24 * 3600 + 60)   # the same 06:00: already fired
        assert await scheduled_calls(d) == fired
        await tick(d, T0 + 5 * 24 * 3600)    # down four days: one catch-up tick, not four
        assert len(await scheduled_calls(d)) == 2
        assert len(await ticks(d)) == len(set(await ticks(d))) == 2
        await d.close_store()

    asyncio.run(second())


def test_two_servers_on_one_store_fire_each_tick_once(tmp_path):
    async def main():
        path = str(tmp_path / "s.db")
        a = await deployed(open_store(path), {"period": {"seconds": 10}}, T0)
        b = dispatcher(open_store(path), read_spec=read_spec)
        await b.deployments.restore()
        for i, now in enumerate((T0 + 11, T0 + 25, T0 + 31)):
            first, second = (a, b) if i % 2 == 0 else (b, a)
            await tick(first, now)
            await tick(second, now)
        assert await ticks(b) == [T0 + 10, T0 + 20, T0 + 30]
        assert (len(await scheduled_calls(a)), len(await scheduled_calls(b))) == (2, 1)   # whoever claimed a tick fired it
        await a.close_store()
        await b.close_store()

    asyncio.run(main())
