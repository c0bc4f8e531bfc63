"""A worker's /metrics reads a running container's CPU time and memory from its cgroups (crun)."""

import os
import time

import pytest

from leveret.testing import Cluster
from apps import isolation
from _scrape import get, promtool_check, samples

pytestmark = pytest.mark.container


def test_a_running_containers_cpu_seconds_and_memory_bytes(tmp_path):
    if os.geteuid() != 0:
        pytest.fail("container tests need root (CI runs as root): run the suite as root")
    with Cluster(tmp_path, runtime="crun", worker_metrics=True) as cluster:
        url = cluster.worker_metrics_url + "/metrics"
        with isolation.app.run(show_logs=False):
            call = isolation.busy.spawn(4.0, 48)
            cluster.wait_for(lambda _: any(c.function_name == "busy" and c.running for c in cluster.containers()),
                             timeout=60)
            (container_id,) = [c.container_id for c in cluster.containers() if c.function_name == "busy"]
            deadline = time.monotonic() + 3
            while True:
                status, _, text = get(url, cluster.token)
                assert status == 200
                found = {name: value for (name, labels), value in samples(text).items()
                         if ("container", container_id) in labels}
                cpu = found.get("leveret_container_cpu_seconds_total", 0)
                memory = found.get("leveret_container_memory_bytes", 0)
                if (cpu > 0.1 and memory > 32 * 1024 * 1024) or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
            assert cpu > 0.1, found
            assert memory > 32 * 1024 * 1024, found   # the 48 MiB it holds, and the interpreter
            promtool_check(text)
            assert call.get(timeout=30)[0] == 48 * 1024 * 1024
