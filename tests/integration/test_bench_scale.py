"""bench/scale.py runs end to end on a small size (its figures are the bench's, not checked here):
a real server, simulated workers that register, take containers and answer inputs."""

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_the_scale_bench_runs_and_reports_each_size():
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEVERET_")}
    done = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "scale.py"), "--workers", "2,5",
                           "--inputs", "300", "--containers", "40"], capture_output=True, text=True, timeout=300,
                          env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert [s["workers"] for s in report["sizes"]] == [2, 5]
    for size in report["sizes"]:
        assert size["inputs_per_s"] > 0 and size["place_containers"] == 40 and size["place_s"] > 0
        assert size["idle_rss_per_worker_kib"] is not None and size["server_cpu_s_per_10k_inputs"] >= 0
