"""Code shipping (which files, which module name) and entrypoint parameters as CLI options."""

import inspect
import os
import stat
import sys

import click
import pytest

import leveret
from leveret import config
from leveret._shared import mounts as _mounts
from leveret._output import LogPrinter
from leveret.cli.run import _option
from leveret._wire import api_pb2 as pb


def test_a_package_module_ships_its_whole_top_level_package():
    from apps import basic

    src = _mounts.code_source(basic.square.get_raw_f())
    assert src.module == "apps.basic"
    paths = {p for p, _, _ in src.files}
    assert {"apps/__init__.py", "apps/basic.py", "apps/broken.py"} <= paths
    assert not any("__pycache__" in p for p in paths)


def test_a_plain_module_ships_one_file(tmp_path, monkeypatch):
    (tmp_path / "solo.py").write_text("def f():\n    return 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import solo

    src = _mounts.code_source(solo.f)
    assert src.module == "solo"
    assert [(p, c) for p, c, _ in src.files] == [("solo.py", b"def f():\n    return 1\n")]
    sys.modules.pop("solo")


def test_a_function_without_a_file_needs_serialized():
    namespace = {"__name__": "made_up_module"}
    exec("def f():\n    return 1\n", namespace)
    with pytest.raises(leveret.InvalidError, match="serialized=True"):
        _mounts.code_source(namespace["f"])


def _param(src):
    namespace = {}
    exec(f"def f({src}): pass", namespace)
    return next(iter(inspect.signature(namespace["f"]).parameters.values()))


@pytest.mark.parametrize(
    "src, args, expected",
    [
        ("n: int = 10", [], 10),
        ("n: int = 10", ["--n", "7"], 7),
        ("ratio: float = 0.5", ["--ratio", "2"], 2.0),
        ("name: str", ["--name", "x"], "x"),
        ("flag: bool = False", ["--flag"], True),
        ("flag: bool = True", ["--no-flag"], False),
        ("some_name=3", ["--some-name", "4"], 4),
    ],
)
def test_parameters_become_options(src, args, expected):
    p = _param(src)
    cmd = click.Command("x", params=[_option(p)], callback=lambda **kw: kw)
    assert cmd.main(args=args, standalone_mode=False) == {p.name: expected}


def test_a_required_parameter_is_a_required_option():
    cmd = click.Command("x", params=[_option(_param("name: str"))], callback=lambda **kw: kw)
    with pytest.raises(click.MissingParameter):
        cmd.main(args=[], standalone_mode=False)


@pytest.mark.parametrize("src", ["*args", "**kwargs", "items: list = None"])
def test_parameters_the_command_line_cannot_carry_are_refused(src):
    with pytest.raises(click.ClickException):
        _option(_param(src))


def test_token_is_made_once_and_private(tmp_path, monkeypatch):
    monkeypatch.setenv("LEVERET_HOME", str(tmp_path / "home"))
    token = config.ensure_token()
    assert config.ensure_token() == token and len(token) >= 32
    assert stat.S_IMODE(os.stat(config.token_path()).st_mode) == 0o600


def test_log_lines_are_attributed():
    line = pb.LogLine(ts=0, source=pb.LOG_SOURCE_STDOUT, text="hi", function_name="square", container_id="ct-1")
    assert LogPrinter().format(line) == "[square ct-1] hi\n"
    system = pb.LogLine(ts=0, source=pb.LOG_SOURCE_SYSTEM, text="container exited", function_name="f")
    assert LogPrinter().format(system) == "[f] leveret: container exited\n"
