"""The import contracts in pyproject.toml hold (`lint-imports`), every part of the package has a
place in them, and what runs in containers needs only the standard library and cloudpickle."""

import ast
import os
import subprocess
import sys
import tomllib

import leveret

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PACKAGE = os.path.dirname(os.path.abspath(leveret.__file__))
# The parts that are not the SDK's top-level modules: placed by their own contracts.
APART = {"server", "worker", "container"}


def _contracts() -> dict:
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        return {c["id"]: c for c in tomllib.load(f)["tool"]["importlinter"]["contracts"]}


def test_the_import_contracts_hold():
    lint = os.path.join(os.path.dirname(sys.executable), "lint-imports")
    result = subprocess.run([lint, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert f"{len(_contracts())} kept, 0 broken" in result.stdout


def _modules_in(directory: str) -> set:
    """The modules and packages directly in ``directory``, by name."""
    return {name.removesuffix(".py") for name in os.listdir(directory) if name != "__init__.py"
            and (name.endswith(".py") or os.path.isfile(os.path.join(directory, name, "__init__.py")))}


def _names(contract: str, key: str, prefix: str = "leveret.") -> set:
    return {m.removeprefix(prefix) for m in _contracts()[contract][key]}


def test_every_top_level_module_has_a_place_in_the_layers():
    placed = {name.strip() for layer in _contracts()["layers"]["layers"] for name in layer.replace("|", ":").split(":")}
    unplaced = _modules_in(PACKAGE) - placed - APART
    assert unplaced == set(), "put new top-level modules in a layer of pyproject.toml's contracts"
    assert _names("no-server-in-sdk", "source_modules") == \
        _names("no-sdk-in-server-worker", "forbidden_modules") - {"cli", "testing"}


def test_what_runs_in_containers_imports_only_the_standard_library_and_cloudpickle():
    found = {}
    for directory, _, names in os.walk(os.path.join(PACKAGE, "container")):
        for name in [n for n in names if n.endswith(".py")]:
            with open(os.path.join(directory, name)) as f:
                for node in ast.walk(ast.parse(f.read())):
                    if isinstance(node, ast.Import):
                        found.update({a.name.split(".")[0]: name for a in node.names})
                    elif isinstance(node, ast.ImportFrom) and not node.level:
                        found[node.module.split(".")[0]] = name
    outside = {m: where for m, where in found.items() if m not in sys.stdlib_module_names and m != "cloudpickle"}
    assert outside == {"fastapi": "web.py"}   # only for @fastapi_endpoint functions, whose images have it (as Modal's)


# The server's edge: where api.proto's messages are converted to and from its own types (model.py).
SERVER_EDGE = {"api", "service", "main"}


def test_every_server_module_is_the_edge_or_kept_free_of_protobuf():
    core = _names("server-wire-at-the-edge", "source_modules", "leveret.server.")
    assert _modules_in(os.path.join(PACKAGE, "server")) - SERVER_EDGE == core, \
        "put new server modules in the server-wire-at-the-edge contract (or the edge)"


# The worker's edge: its stream to the server (link.py), the server's other calls (rpc.py), and
# where their messages are converted to and from its own types (convert.py, model.py).
WORKER_EDGE = {"link", "convert", "rpc"}


def test_every_worker_module_is_the_edge_or_kept_free_of_protobuf():
    core = _names("worker-wire-at-the-edge", "source_modules", "leveret.worker.")
    assert _modules_in(os.path.join(PACKAGE, "worker")) - WORKER_EDGE == core, \
        "put new worker modules in the worker-wire-at-the-edge contract (or the edge)"
