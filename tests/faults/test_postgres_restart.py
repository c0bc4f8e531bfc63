"""Finding: a PostgreSQL restart broke the server for good: every later write failed with "the
connection is closed" (a map in flight failed with psycopg's error, the app could not even stop).
Now the store's writer and reader connect again once the database answers, and do again what the
lost connection failed: a map and spawns across the restart each return every result once, and the
server serves on."""

import logging
import threading
import time

import pytest

import leveret
from _postgres import start_for_tests
from apps import restart as r
from leveret.testing import Cluster


@pytest.fixture
def own_postgres():
    """A PostgreSQL server of the test's own, durable as in production (a commit that returned is
    on disk): it is crashed and restarted under load."""
    pg = start_for_tests(durable=True)
    try:
        yield pg
    finally:
        pg.stop()


def test_postgres_restarted_under_load_loses_nothing_and_the_server_serves_on(tmp_path, own_postgres, caplog):
    caplog.set_level(logging.WARNING, logger="leveret.server")
    with Cluster(tmp_path, db=own_postgres.new_database()):
        with r.app.run(show_logs=False):
            spawned = [r.sleep_then_square.spawn(i, 0.01) for i in range(200)]   # acknowledged before the restart

            def restart_soon() -> None:
                time.sleep(0.5)
                own_postgres.restart()

            restarter = threading.Thread(target=restart_soon)
            restarter.start()
            mapped = list(r.sleep_then_square.map(range(300), kwargs={"seconds": 0.05}))
            restarter.join(60)
            assert mapped == [x * x for x in range(300)]
            assert [c.get(timeout=60) for c in spawned] == [i * i for i in range(200)]
            assert r.slow_square.remote(7) == 49   # and after it, on the same server
        # a finished call's results, read back from the store by its reader
        assert leveret.FunctionCall.from_id(spawned[-1].object_id).get(timeout=30) == 199 * 199
    lost = [rec.message for rec in caplog.records if "connection was lost" in rec.message]
    back = [rec.message for rec in caplog.records if "connection is back after" in rec.message]
    assert lost and back, [rec.message for rec in caplog.records]
