"""`leveret image build | ls | rm | prune` on this machine's cache."""

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.container

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLI_IMAGE = os.path.join(ROOT, "tests", "apps", "cli_image.py")


def leveret(*args, env=None):
    return subprocess.run([sys.executable, "-m", "leveret.cli", "image", *args], capture_output=True, text=True,
                          timeout=300, env={**os.environ, **(env or {})})


def test_build_streams_its_steps_then_hits_the_cache():
    first = leveret("build", f"{CLI_IMAGE}::image")
    assert first.returncode == 0, first.stderr
    assert "add_files" in first.stdout and "run_commands" in first.stdout
    again = leveret("build", f"{CLI_IMAGE}::image")
    assert again.returncode == 0 and again.stdout.count(": cached") == 2


def test_a_failing_build_says_which_command_and_why():
    done = leveret("build", f"{CLI_IMAGE}::broken")
    assert done.returncode == 1
    assert "exit code 4" in done.stderr and "echo nope && exit 4" in done.stderr and "nope" in done.stdout


def test_ls_rm_and_prune_on_a_cache(tmp_path):
    env = {"LEVERET_IMAGE_CACHE": str(tmp_path)}
    for lid, op in (("aaa", "run_commands"), ("bbb", "apt_install")):
        os.makedirs(tmp_path / "layers" / lid / "diff")
        (tmp_path / "layers" / lid / "step.json").write_text(json.dumps({"op": op}))
        (tmp_path / "layers" / lid / "diff" / "f").write_bytes(b"x" * 1000)
    listed = json.loads(leveret("ls", "--json", env=env).stdout)
    assert {(layer["id"], layer["step"]) for layer in listed} == {("aaa", "run_commands"), ("bbb", "apt_install")}
    assert leveret("rm", "aaa", env=env).returncode == 0
    assert not (tmp_path / "layers" / "aaa").exists()
    missing = leveret("rm", "nope", env=env)
    assert missing.returncode == 1 and "image ls" in missing.stderr
    os.utime(tmp_path / "layers" / "bbb", (0, 0))   # unused since 1970
    assert "removed 1 layer(s)" in leveret("prune", "--unused-for", "1d", env=env).stdout
    assert leveret("ls", env=env).stdout.strip() == "no images cached on this machine"
