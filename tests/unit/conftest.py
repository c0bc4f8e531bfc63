import pytest

from leveret.server.store import SqliteStore


@pytest.fixture
def store(tmp_path):
    s = SqliteStore(str(tmp_path / "state.db"))
    yield s
    s.close()


@pytest.fixture
def reader(store):
    """A second connection: sees only what is committed."""
    r = SqliteStore(store.path)
    yield r
    r.close()
