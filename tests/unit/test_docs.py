"""The documentation site builds (mkdocs --strict: a broken link, a missing page or a docstring the
API reference cannot render fails it), every page is in its navigation, and the generated
references hold every command and the public classes."""

import os
import re
import subprocess
import sys

import yaml

from leveret.cli.main import COMMANDS

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _nav_pages(nav) -> set[str]:
    pages = set()
    for item in nav:
        for value in (item.values() if isinstance(item, dict) else [item]):
            pages |= _nav_pages(value) if isinstance(value, list) else {value}
    return pages


def test_the_site_builds_strictly_with_every_page_in_its_navigation(tmp_path):
    with open(os.path.join(ROOT, "mkdocs.yml")) as f:
        config = yaml.safe_load(f)
    docs = os.path.join(ROOT, "docs")
    pages = {os.path.relpath(os.path.join(d, n), docs) for d, _, names in os.walk(docs) for n in names if n.endswith(".md")}
    assert pages == _nav_pages(config["nav"])
    built = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", os.path.join(ROOT, "mkdocs.yml"),
                            "-d", str(tmp_path / "site")], capture_output=True, text=True, timeout=300,
                           env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert built.returncode == 0, built.stderr[-3000:]
    cli = (tmp_path / "site" / "reference" / "cli" / "index.html").read_text()
    for command in COMMANDS:
        assert re.search(rf"leveret {command}\b", cli), f"the CLI reference lacks `leveret {command}`"
    api = (tmp_path / "site" / "reference" / "api" / "index.html").read_text()
    for name in ("App", "Function", "FunctionCall", "Image", "Volume", "Dict", "Queue", "Sandbox"):
        assert re.search(rf'id="leveret\.[a-z_]+\.{name}"', api), f"the API reference lacks {name}"
