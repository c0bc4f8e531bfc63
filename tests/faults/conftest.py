import pytest

from e2e.procs import Procs


@pytest.fixture
def procs(tmp_path):
    """A real `leveret server` process (``procs.url``); ``procs.worker(...)`` adds workers. All are
    stopped at the end."""
    p = Procs(tmp_path)
    p.server()
    try:
        yield p
    finally:
        p.stop()
