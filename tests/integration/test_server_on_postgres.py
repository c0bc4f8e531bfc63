"""The real server on a PostgreSQL store: a call goes through it end to end, and the state it
keeps lands in the database."""

import pytest

from apps import basic
from leveret.server.store import open_store
from leveret.server.store.postgres import PostgresStore
from leveret.testing import Cluster


@pytest.fixture
def pg_cluster(tmp_path, postgres_url):
    with Cluster(tmp_path, db=postgres_url) as c:
        yield c


def test_a_call_runs_through_a_server_on_postgres(pg_cluster, postgres_url):
    writer, reader = pg_cluster.dispatcher.writes.store, pg_cluster.dispatcher.reads.store
    assert isinstance(writer, PostgresStore) and isinstance(reader, PostgresStore)   # two connections
    assert reader.db is not writer.db
    with basic.app.run(show_logs=False):
        assert basic.add.remote(1, 2, c=3) == 6
        assert list(basic.square.map(range(20))) == [i * i for i in range(20)]
    other = open_store(postgres_url)   # what the server committed, seen from another connection
    try:
        app = other.find_app("basic")
        assert app is not None and app["state"] == "stopped"
        [(calls,)] = other.db.execute("SELECT COUNT(*) FROM calls").fetchall()
        [(outputs,)] = other.db.execute("SELECT COUNT(*) FROM outputs").fetchall()
        assert (calls, outputs) == (2, 21)
    finally:
        other.close()
