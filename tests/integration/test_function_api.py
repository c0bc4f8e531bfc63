"""Function API completions through a real server and worker: hydrate, get_current_stats,
app.include, enable_output, and Modal's submodules (test_deployed_function_api.py: those on
deployed apps, each on a cluster of its own)."""

import pytest

import leveret
from apps import api_extras


@pytest.fixture(scope="module")
def running(cluster):
    with api_extras.app.run(show_logs=False):
        yield api_extras


def test_hydrate_looks_the_function_up_now(running):
    assert running.echo.hydrate() is running.echo and running.echo.object_id.startswith("fu-")


def test_get_current_stats_counts_backlog_and_containers(running):
    running.echo.remote(1)
    stats = running.echo.get_current_stats()
    assert stats.backlog == 0 and stats.num_total_runners >= 1


def test_an_included_apps_functions_run_with_it(running):
    assert running.from_other.remote(1) == "other 1"


def test_enable_output_shows_a_runs_logs(capsys):
    app = leveret.App("quiet")
    from leveret._runner import RunContext

    with leveret.enable_output():
        assert RunContext(app, show_logs=False).show_logs
    assert not RunContext(app, show_logs=False).show_logs


def test_modal_submodules_name_what_leveret_has():
    from leveret.functions import Function, FunctionCall, gather  # noqa: F401
    from leveret.exception import NotFoundError, SandboxTimeoutError  # noqa: F401
    from leveret.cls import Cls  # noqa: F401
    from leveret.queue import Queue  # noqa: F401
    from leveret.volume import Volume  # noqa: F401
    from leveret.container_process import ContainerProcess
    from leveret.io_streams import StreamReader, StreamWriter  # noqa: F401
    from leveret.stream_type import StreamType  # noqa: F401
    from leveret.dict import Dict  # noqa: F401
    assert leveret.ContainerProcess is ContainerProcess and leveret.Sandbox.__module__ == "leveret.sandbox"
    with pytest.raises(AttributeError, match="has no attribute 'Nothing'"):
        leveret.Nothing


def test_spawn_map_returns_once_stored_and_every_input_runs(running, cluster):
    from leveret.server.store import Store

    before = cluster.stored(Store.function_stats, running.slow.object_id)["outputs_by_status"].get("success", 0)
    assert running.slow.spawn_map([0.2] * 6) is None   # back before they ran: 6 × 0.2 s on at most 4 containers
    cluster.wait_stored(lambda s: s["outputs_by_status"].get("success", 0) == before + 6, Store.function_stats,
                        running.slow.object_id, timeout=30)
