"""The worker never imports the SDK: only the wire, shared helpers and the container protocol."""

import ast
import json
import os
import subprocess
import sys

import leveret.worker
from leveret.worker.runtime.base import LEVERET_PACKAGE

WORKER = os.path.dirname(os.path.abspath(leveret.worker.__file__))
# What worker modules may import of leveret besides themselves: the wire, the package shared by SDK,
# server and worker, and the container protocol.
ALLOWED = ("leveret.worker", "leveret._wire", "leveret._shared", "leveret.container")


def _imports(path: str, module: str) -> list[tuple[int, str]]:
    """(line, absolute module name) of every leveret import in a worker module."""
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    package = module.rsplit(".", 1)[0] if not path.endswith("__init__.py") else module
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "leveret"]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            if base.split(".")[0] != "leveret":
                continue
            # `from .. import exception` imports a module; `from leveret import App` an SDK object
            found += [(node.lineno, f"{base}.{a.name}" if base == "leveret" else base) for a in node.names]
    return found


def test_worker_modules_import_nothing_of_the_sdk():
    offending = []
    for dirpath, _, names in os.walk(WORKER):
        for name in names:
            if not name.endswith(".py"):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, os.path.dirname(WORKER))[: -len(".py")].replace(os.sep, ".")
            module = "leveret." + rel.removesuffix(".__init__")
            for line, imported in _imports(path, module):
                if not any(imported == a or imported.startswith(a + ".") for a in ALLOWED):
                    offending.append(f"{os.path.relpath(path, WORKER)}:{line} imports {imported}")
    assert offending == []


def test_the_package_containers_get_is_found_without_importing_the_sdk():
    assert LEVERET_PACKAGE == os.path.dirname(WORKER)
    assert os.path.isfile(os.path.join(LEVERET_PACKAGE, "container", "bootstrap.py"))


def test_importing_the_worker_imports_none_of_the_sdk():
    code = ("import json, sys, leveret.worker.agent, leveret\n"
            "print(json.dumps([sorted(m for m in sys.modules if m.split('.')[0] == 'leveret'),"
            " sorted(n for n in vars(leveret) if not n.startswith('_'))]))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    modules, names = json.loads(result.stdout)
    assert "leveret.worker.task_runner" in modules   # it did import the worker
    sdk = {"leveret.app", "leveret.function", "leveret.image", "leveret.secret", "leveret.schedule", "leveret.retries",
           "leveret._concurrency", "leveret._function_options", "leveret._runner", "leveret._client"}
    assert sdk.isdisjoint(modules)
    assert [m for m in modules if m != "leveret" and not any(m == a or m.startswith(a + ".") for a in ALLOWED)] == []
    assert not {"App", "Function", "Image", "Secret", "Retries", "Cron", "Period", "concurrent"} & set(names)
