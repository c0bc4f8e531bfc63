"""Call retention through a real server, worker and containers: a deployed app's spawned call is
read back by id from the store, until the retention deletes it; then the error says why."""

import time

import pytest

import leveret
from leveret._shared.aio import run_sync
from leveret.server import views
from leveret.testing import Cluster


def make_app():
    app = leveret.App("retained")

    @app.function(serialized=True, name="double")
    def double(x):
        return 2 * x

    return app


async def prune(cluster: Cluster, now: float):
    return await cluster.server.call_pruner.prune(now)   # on the server's loop, as its periodic task runs it


def test_a_spawned_call_is_read_back_until_the_call_retention_deletes_it(tmp_path):
    with Cluster(tmp_path, call_retention_s=3600.0) as cluster:
        make_app().deploy()
        call = leveret.Function.from_name("retained", "double").spawn(21)
        assert call.get(timeout=30) == 42
        cluster.wait_for(lambda d: not views.holds_call(d, call.object_id))   # done: read from the store from now on
        assert run_sync(prune(cluster, time.time() + 1800)) == (0, 0)  # within the retention
        assert leveret.FunctionCall.from_id(call.object_id).get(timeout=5) == 42

        calls, _ = run_sync(prune(cluster, time.time() + 3601))
        assert calls == 1
        with pytest.raises(leveret.NotFoundError, match=r"no function call fc-\w+: its results were deleted after"
                           r" the server's call retention \(1h\).*leveret server --call-retention"):
            leveret.FunctionCall.from_id(call.object_id).get(timeout=5)
