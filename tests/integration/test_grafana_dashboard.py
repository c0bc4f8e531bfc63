"""docs/grafana/leveret.json's queries, run by a real Prometheus scraping a test cluster's server
and worker (with a fake NVML's GPU): each parses and finds its series."""

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request

import pytest
from _needs import missing

from apps import basic
from apps import orchestration as o
from leveret.testing import Cluster
from leveret.testing.nvml import FakeNvml
from leveret.worker import gpus

DASHBOARD = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "grafana", "leveret.json")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _query(port: int, expr: str) -> dict:
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return json.load(resp)
    except urllib.error.HTTPError as err:   # a query Prometheus refuses: 400 with its error
        return json.load(err)


def _targets() -> list[tuple[str, str]]:
    with open(DASHBOARD) as f:
        dashboard = json.load(f)
    return [(p["title"], t["expr"]) for p in dashboard["panels"] for t in p["targets"]]


def test_every_panels_query_finds_its_series_in_a_real_prometheus(tmp_path):
    prometheus = shutil.which("prometheus")
    if prometheus is None:
        missing("prometheus is not installed (Debian: apt-get install prometheus)")
    nvml = FakeNvml([{"model": "NVIDIA H100 80GB HBM3", "memory_mb": 81559, "utilization": 50}])
    with Cluster(tmp_path / "cluster", gpus=gpus.discover(nvml), worker_metrics=True) as cluster:
        with basic.app.run(show_logs=False):
            assert basic.square.remote(4) == 16
            with pytest.raises(Exception, match="bad input"):
                basic.fail.remote(3)
        with o.gpu_app.run(show_logs=False):
            held = o.holds_gpu_pid.spawn(60)   # a container holding a GPU while Prometheus scrapes
            cluster.wait_for(lambda d: any(ct.ready and ct.outstanding for ct in d.containers.values()))
            port = _free_port()
            config = tmp_path / "prometheus.yml"
            jobs = [("server", cluster.http_url), ("worker", cluster.worker_metrics_url)]
            config.write_text(json.dumps({"scrape_configs": [
                {"job_name": name, "scrape_interval": "1s", "authorization": {"credentials": cluster.token},
                 "static_configs": [{"targets": [urllib.parse.urlsplit(url).netloc]}]} for name, url in jobs]}))
            proc = subprocess.Popen([prometheus, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                                     f"--web.listen-address=127.0.0.1:{port}"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            try:
                deadline = time.monotonic() + 60
                while True:   # both scraped, a few times (rate() wants two samples at least)
                    try:
                        up = _query(port, "count_over_time(up[1m]) >= 3 and up == 1")
                        if len(up["data"]["result"]) == 2:
                            break
                    except OSError:
                        pass
                    assert time.monotonic() < deadline and proc.poll() is None, proc.stderr.read1().decode()
                    time.sleep(0.5)
                answers = {(title, expr): _query(port, expr) for title, expr in _targets()}
            finally:
                proc.terminate()
                proc.wait(30)
                proc.stderr.close()
            held.cancel()
    assert len(answers) >= 15
    for (title, expr), answer in answers.items():
        assert answer["status"] == "success", (title, expr, answer)
        assert answer["data"]["result"], f"{title}: {expr} finds no series"
