"""Warm containers: started before any function needs them, given one on demand."""

import pytest

import leveret
from leveret.testing import Cluster
from apps import basic


@pytest.fixture
def warm_cluster(tmp_path):
    with Cluster(tmp_path, warm_containers=1) as c:
        c.wait_for(lambda d: c.agent.pool and c.agent.pool[0].writer is not None)
        yield c


def test_a_new_function_runs_in_the_warm_container_and_a_new_one_is_warmed(warm_cluster):
    warm = warm_cluster.agent.pool[0]
    with basic.app.run(show_logs=False):
        container_id, _ = basic.where.remote()
        assert warm.container_id == container_id          # the warm container, under the server's id
        assert basic.add.remote(1, 2, c=3) == 6           # the next function gets the next warm one
        warm_cluster.wait_for(lambda d: len(warm_cluster.agent.pool) == 1)
    cold = warm_cluster.stored(lambda store: store.db.execute("SELECT phases FROM containers").fetchall())
    assert cold and all("interpreter_start" not in (p or "") for (p,) in cold)   # no cold start was paid


def test_warm_containers_run_serialized_functions_and_report_import_errors(warm_cluster):
    from apps import broken

    app = leveret.App("warm-serialized")
    base = 10

    @app.function(serialized=True)
    def plus(x):
        return x + base

    with app.run(show_logs=False):
        assert plus.remote(1) == 11
    with broken.app.run(show_logs=False):
        with pytest.raises(ImportError, match="refuses to import inside a container"):
            broken.f.remote(1)


def test_functions_with_limits_do_not_take_warm_containers(warm_cluster):
    warm = warm_cluster.agent.pool[0]
    with basic.app.run(show_logs=False):
        with pytest.raises(leveret.ExecutionError, match="cannot enforce"):
            basic.limited.remote()
    assert warm_cluster.agent.pool == [warm]
