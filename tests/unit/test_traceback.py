"""A remote exception's traceback, as `leveret run` prints it: one traceback, the caller's frames
and the function's (at the caller's paths, with their source lines), Leveret's left out, the
message once; LEVERET_TRACEBACK=full prints everything."""

import importlib.util
import sys

import cloudpickle
import pytest

from leveret import _traceback
from leveret._serialization import exception_from_payload
from leveret.container.serialization import exception_payload

SOURCE = '''
def inner(x):
    raise ValueError(f"bad input {x}")


def handler(x):
    return inner(x)
'''


def _remote_exception(tmp_path):
    """The exception a container sends when the app's handler(7) raises: its module ran from the
    worker's mount of the app's code, while the caller has the same file under ``local``."""
    remote = tmp_path / "worker" / "mounts" / "mo-3f2a" / "pkg" / "handlers.py"
    local = tmp_path / "local" / "pkg" / "handlers.py"
    for path in (remote, local):
        path.parent.mkdir(parents=True)
        path.write_text(SOURCE)
    spec = importlib.util.spec_from_file_location("handlers_remote", remote)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    try:
        module.handler(7)
    except ValueError as exc:
        return exception_from_payload(exception_payload(exc, cloudpickle)), local


def _caller(exc):   # the caller's frame: it raises what its call got back
    raise exc


@pytest.fixture
def raised(tmp_path, monkeypatch):
    exc, local = _remote_exception(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path / "local"))
    monkeypatch.delenv("LEVERET_TRACEBACK", raising=False)
    try:
        _caller(exc)
    except ValueError as got:
        return got, local


def test_one_traceback_with_the_functions_frames_at_the_callers_paths(raised):
    exc, local = raised
    shown = _traceback.render(exc)
    assert shown.startswith("Traceback (most recent call last):\n")
    assert "in _caller\n    raise exc\n" in shown   # the caller's frame
    assert "  ── in its container ──\n" in shown
    assert f'File "{local}", line 7, in handler\n    return inner(x)\n' in shown
    assert f'File "{local}", line 3, in inner\n    raise ValueError(f"bad input {{x}}")\n' in shown
    assert shown.endswith("ValueError: bad input 7\n") and shown.count("bad input 7") == 1
    assert "mounts" not in shown and "Remote traceback" not in shown
    assert "_serialization.py" not in shown and "leveret/container" not in shown   # Leveret's own frames


def test_leveret_traceback_full_shows_every_frame(raised, monkeypatch):
    exc, _ = raised
    monkeypatch.setenv("LEVERET_TRACEBACK", "full")
    shown = _traceback.render(exc)
    assert "Remote traceback:" in shown and "mounts/mo-3f2a/pkg/handlers.py" in shown


def test_a_path_not_under_a_mount_or_not_here_stays_as_the_container_said(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert _traceback.local_path("/usr/lib/python3.11/json/decoder.py") == "/usr/lib/python3.11/json/decoder.py"
    assert _traceback.local_path("/w/mounts/mo-1/nowhere.py") == "/w/mounts/mo-1/nowhere.py"
    (tmp_path / "app.py").write_text("")
    assert _traceback.local_path("/w/mounts/mo-1/app.py") == str(tmp_path / "app.py")


def test_a_local_file_of_the_same_name_but_other_lines_is_not_taken_for_the_one_that_ran(raised):
    exc, local = raised
    local.write_text("# another handlers.py\n" * 10)
    shown = _traceback.render(exc)
    assert str(local) not in shown and "mounts/mo-3f2a/pkg/handlers.py\", line 3, in inner\n" in shown
    assert 'raise ValueError(f"bad input {x}")\n' in shown   # the source line the container sent


def test_a_scripts_uncaught_remote_exception_is_printed_the_same_way(raised, monkeypatch, capsys):
    exc, local = raised
    monkeypatch.setattr("sys.excepthook", sys.__excepthook__)
    _traceback.install_excepthook()
    hook = sys.excepthook
    assert hook is not sys.__excepthook__
    _traceback.install_excepthook()   # (once: over Python's own hook only)
    assert sys.excepthook is hook
    hook(type(exc), exc, exc.__traceback__)
    err = capsys.readouterr().err
    assert err.count("Traceback (most recent call last):") == 1 and f'File "{local}", line 3, in inner' in err
    try:
        raise KeyError("local")
    except KeyError as plain:   # no remote frames: Python's own printing
        hook(KeyError, plain, plain.__traceback__)
    assert "KeyError: 'local'" in capsys.readouterr().err
