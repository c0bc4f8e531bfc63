"""Scraping /metrics in tests: over HTTP, parsed, and checked by promtool."""

import shutil
import subprocess
import urllib.error
import urllib.request

from _needs import missing
from prometheus_client.parser import text_string_to_metric_families


def get(url: str, token: str | None = None) -> tuple[int, str, str]:
    """(status, content type, body)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as resp:
            return resp.status, resp.headers["Content-Type"], resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.headers["Content-Type"], err.read().decode()


def samples(text: str) -> dict:
    """{(name, frozenset(labels)): value} of an exposition."""
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def promtool_check(text: str) -> None:
    """`promtool check metrics`: the exposition parses and follows Prometheus's naming rules."""
    promtool = shutil.which("promtool")
    if promtool is None:
        missing("promtool is not installed (Debian: apt-get install prometheus)")
    checked = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert not (checked.stdout + checked.stderr).strip(), checked.stdout + checked.stderr   # no lint warnings
