"""The worker drives containers only through ContainerRuntime: checked with the recording fake."""

import pytest

import leveret
from leveret.testing import Cluster
from leveret.worker.runtime.fake import FakeRuntime
from apps import basic


def function_of(spec) -> str:
    """The name of the function a started container's spec runs."""
    from leveret.container.protocol import ENV_FUNCTION

    return dict(line.split("=", 1) for line in spec.env[ENV_FUNCTION].splitlines())["name"]


@pytest.fixture
def fake_cluster(tmp_path):
    runtime = FakeRuntime()
    with Cluster(tmp_path, runtime=runtime) as c:
        yield c, runtime


def test_start_spec_runs_the_bootstrap_with_its_socket(fake_cluster):
    cluster, runtime = fake_cluster
    with basic.app.run(show_logs=False):
        call = basic.square.spawn(2)
        cluster.wait_for(lambda d: runtime.handles)
        spec = runtime.calls[0].detail
        assert runtime.verbs() == ["start"]
        assert spec.argv[-1].endswith("bootstrap.py")
        assert spec.env["LEVERET_CONTAINER_ID"] == spec.container_id
        socket_path = spec.env["LEVERET_CONTAINER_SOCKET"]
        assert socket_path.endswith(f"/{spec.container_id}/sock")
        sockets = [m.source for m in spec.mounts if not m.read_only]
        assert sockets == [socket_path.rsplit("/", 1)[0]]  # its own socket dir is the only writable mount
        runtime.feed(spec.container_id, b"segfault imminent\n", fd=2)
        runtime.exit(spec.container_id, 139)
        with pytest.raises(leveret.ExecutionError, match="(?s)exited with code 139; last lines of its stderr:.*segfault imminent"):
            call.get(timeout=10)
        cluster.wait_for(lambda d: "remove" in runtime.verbs())


def test_stopping_the_app_kills_a_container_that_never_connected(fake_cluster):
    cluster, runtime = fake_cluster
    with basic.app.run(show_logs=False):
        basic.square.spawn(1)
        cluster.wait_for(lambda d: runtime.handles)
    cluster.wait_for(lambda _: "kill" in runtime.verbs() and not cluster.containers())


def test_runtime_start_failure_fails_queued_inputs_with_the_reason(tmp_path):
    runtime = FakeRuntime(fail_start="no such runtime binary")
    with Cluster(tmp_path, runtime=runtime):
        with basic.app.run(show_logs=False):
            with pytest.raises(leveret.ExecutionError, match="could not start: no such runtime binary"):
                basic.square.remote(1)
        assert runtime.verbs() == ["start"]


def test_ephemeral_disk_reaches_the_runtime_in_the_spec(fake_cluster):
    from apps import disks

    cluster, runtime = fake_cluster
    with disks.app.run(show_logs=False):
        disks.fill.spawn("/tmp/f", 1)
        disks.default_df.spawn("/")
        cluster.wait_for(lambda d: len(runtime.handles) == 2)
    sizes = {function_of(c.detail): c.detail.disk_mb for c in runtime.calls if c.verb == "start"}
    assert sizes == {"fill": 64, "default_df": 0}   # 0: the worker's default


def test_block_network_reaches_the_runtime_as_a_network_of_its_own(fake_cluster):
    from leveret.worker.runtime import NetworkSpec
    from apps import isolation

    cluster, runtime = fake_cluster
    with isolation.app.run(show_logs=False):
        isolation.interfaces.spawn()
        isolation.host_interfaces.spawn()
        cluster.wait_for(lambda d: len(runtime.handles) == 2)
    specs = [c.detail for c in runtime.calls if c.verb == "start"]
    by_name = {function_of(s): s for s in specs}
    assert by_name["interfaces"].network == NetworkSpec("none")
    assert by_name["host_interfaces"].network == NetworkSpec("host")
    assert [s.devices for s in specs] == [[], []]   # no GPU asked for: no device
