"""An unusable $LEVERET_HOME is one error line naming the path and the fix, from every command that
needs it: never a traceback."""

import os
import shutil
import subprocess

import pytest

from _needs import missing
from e2e.procs import ROOT, clean_env, leveret_cmd

pytestmark = pytest.mark.e2e

HELLO = os.path.join(ROOT, "examples", "hello.py")
FIX = "point LEVERET_HOME at a writable directory"

COMMANDS = [
    ["run", HELLO],
    ["app", "list"],
    ["logs", "hello"],
    ["deploy", HELLO],
    ["server", "start"],
    ["server", "status"],
    ["server", "--listen", "127.0.0.1:0"],
    ["worker", "--server", "http://127.0.0.1:9", "--token", "t"],   # its default workdir is under the home
]


def check_one_line(done: subprocess.CompletedProcess, home: str, why: str) -> None:
    assert done.returncode not in (0, None), done
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert f"LEVERET_HOME={home} ({why})" in lines[0] and lines[0].endswith(FIX), lines[0]
    assert done.stdout == "", done.stdout


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a[:2]).replace(HELLO, "app.py"))
def test_a_home_under_a_regular_file_is_one_error_line(tmp_path, args):
    (tmp_path / "file").write_text("not a directory\n")
    home = str(tmp_path / "file" / "home")
    done = subprocess.run(leveret_cmd(*args), env=clean_env(home), capture_output=True, text=True, timeout=60,
                          cwd=ROOT)
    check_one_line(done, home, "Not a directory")


def read_only(directory: str, args: list[str]) -> list[str]:
    """``args`` run with ``directory`` unwritable: as root, on a read-only bind mount of it in a mount
    namespace of their own (permission bits do not stop root); otherwise by its permission bits."""
    if os.geteuid() != 0:
        os.chmod(directory, 0o555)
        return args
    if shutil.which("unshare") is None:
        missing("unshare (util-linux) is needed to make a read-only directory for root")
    script = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, directory, *args]


@pytest.mark.parametrize("args", [COMMANDS[0], COMMANDS[-1]], ids=["run", "worker"])
def test_a_read_only_home_is_one_error_line(tmp_path, args):
    parent = tmp_path / "ro"
    (parent / "home").mkdir(parents=True)
    home = str(parent / "home")
    try:
        done = subprocess.run(read_only(str(parent), leveret_cmd(*args)), env=clean_env(home), capture_output=True,
                              text=True, timeout=60, cwd=ROOT)
    finally:
        os.chmod(parent, 0o755)
    why = "Read-only file system" if os.geteuid() == 0 else "Permission denied"
    check_one_line(done, home, why)
    assert os.listdir(home) == []
