"""A Dict's entries survive a server restart, on SQLite and on PostgreSQL (a cluster of its own:
it restarts its server)."""

import pytest

import leveret
from leveret.testing import Cluster


@pytest.fixture(params=["sqlite", "postgres"])
def restartable(request, tmp_path):
    db = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    with Cluster(tmp_path, db=db) as c:
        yield c


def test_entries_survive_a_server_restart(restartable):
    d = leveret.Dict.from_name("kept", create_if_missing=True)
    d.update({"a": 1, ("t", 2): [3]})
    restartable.restart_server()
    again = leveret.Dict.from_name("kept")
    assert again["a"] == 1 and again[("t", 2)] == [3] and len(again) == 2
