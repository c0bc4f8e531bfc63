"""Web functions through the CLI against real server and worker processes: `leveret deploy` prints
the URL, `leveret app list` lists it, an HTTP client gets the function's answer there, and
`leveret run` of the same file serves it at the -dev URL while it runs."""

import json
import os
import re
import urllib.request

import pytest

from procs import ROOT
from test_deploy_cli import run

pytestmark = pytest.mark.e2e

WEB = os.path.join(ROOT, "examples", "web.py")


def test_deploy_prints_the_url_app_list_lists_it_and_it_answers(cluster_processes):
    env = cluster_processes["env"]
    out = run(["deploy", WEB], env)
    url = re.search(r"hello\s+=> (http://\S+/web/hello)", out).group(1)
    assert url in run(["app", "list"], env)
    with urllib.request.urlopen(url + "/greet?name=ada", timeout=60) as r:
        assert json.loads(r.read()) == {"hello": "ada", "path": "/greet"}
    out = run(["run", WEB], env)
    assert re.search(r"serving at http://\S+/web-dev/hello", out) and '"hello": "ada"' in out
