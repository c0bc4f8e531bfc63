"""Image declarations: immutable step lists, validated, with stable layer ids."""

import pytest

import leveret
from leveret.exception import NotImplementedOptionError
from leveret.worker.images.builder import available_python, layer_id, step_command


def test_each_method_returns_a_new_image_with_one_more_step():
    base = leveret.Image.debian_slim(python_version="3.11")
    image = base.apt_install("curl").pip_install("numpy==2.*").env({"MODE": "prod"}).workdir("/app")
    assert [s["op"] for s in image._steps] == ["debian_slim", "apt_install", "pip_install", "env", "workdir"]
    assert [s["op"] for s in base._steps] == ["debian_slim"]


def test_round_trip_through_json_is_stable():
    image = leveret.Image.debian_slim().run_commands("echo hi > /hi", ["echo a", "echo b"])
    assert leveret.Image.from_json(image.to_json()).to_json() == image.to_json()
    assert image._steps[1]["commands"] == ["echo hi > /hi", "echo a", "echo b"]


def test_layer_ids_chain_and_force_build_changes_them():
    step = {"op": "run_commands", "commands": ["true"]}
    assert layer_id("p", step) == layer_id("p", dict(step))
    assert layer_id("p", step) != layer_id("q", step)
    a = leveret.Image.debian_slim().run_commands("true")
    b = leveret.Image.debian_slim().run_commands("true", force_build=True)
    assert a._steps[1] != b._steps[1]


@pytest.mark.parametrize("call, match", [
    (lambda i: i.apt_install("-oops"), "not a package name"),
    (lambda i: i.pip_install(3), "not a package name"),
    (lambda i: i.run_commands(""), "non-empty shell command"),
    (lambda i: i.env({"A": 1}), "dict of str to str"),
    (lambda i: i.workdir("app"), "absolute path"),
])
def test_bad_steps_name_the_fix(call, match):
    with pytest.raises(leveret.InvalidError, match=match):
        call(leveret.Image.debian_slim())


def test_bad_python_version():
    with pytest.raises(leveret.InvalidError, match="python_version='3.11'"):
        leveret.Image.debian_slim(python_version="three")


@pytest.mark.parametrize("name", ["pip_install_from_pyproject", "uv_pip_install", "dockerfile_commands"])
def test_steps_not_implemented_yet_say_so(name):
    with pytest.raises(NotImplementedOptionError, match=f"Image.{name} is not supported yet"):
        getattr(leveret.Image.debian_slim(), name)("x")


def test_from_registry_options_not_yet():
    with pytest.raises(NotImplementedOptionError, match="add_python"):
        leveret.Image.from_registry("python:3.11-slim", add_python="3.11")


def test_step_commands():
    assert "apt-get install -y -q --no-install-recommends curl jq" in step_command({"op": "apt_install", "packages": ["curl", "jq"]})
    assert step_command({"op": "pip_install", "packages": ["numpy==2.*"]}).endswith("'numpy==2.*'")
    assert step_command({"op": "run_commands", "commands": ["a", "b"]}) == "(a) && (b)"


def test_available_python_reads_the_release():
    assert available_python(lambda: "Package: python3\nVersion: 3.11.2-1+b1\n") == "3.11"


def test_imports_ignores_import_errors_outside_containers(monkeypatch):
    monkeypatch.delenv("LEVERET_CONTAINER_ID", raising=False)
    with leveret.Image.debian_slim().imports():
        import a_module_that_does_not_exist  # noqa: F401
    monkeypatch.setenv("LEVERET_CONTAINER_ID", "ct-1")
    with pytest.raises(ImportError):
        with leveret.Image.debian_slim().imports():
            import a_module_that_does_not_exist  # noqa: F401,F811


def test_function_image_must_be_an_image():
    app = leveret.App("t")
    with pytest.raises(leveret.InvalidError, match="image= takes a leveret.Image"):
        @app.function(image="python:3.12", serialized=True)
        def f():
            pass


def test_resolve_local_file_dir_and_python(tmp_path):
    from leveret.image import PYTHON_SOURCE_DIR, resolve_local

    (tmp_path / "d" / "sub").mkdir(parents=True)
    (tmp_path / "d" / "x.txt").write_text("x")
    (tmp_path / "d" / "sub" / "y.txt").write_text("y")
    (tmp_path / "d" / "z.log").write_text("z")
    image = leveret.Image.debian_slim().add_local_dir(tmp_path / "d", "/data", ignore=["*.log"])
    remote, files = resolve_local(image._steps[1])
    assert remote == "/data" and [rel for _, rel in files] == ["x.txt", "sub/y.txt"]
    image = leveret.Image.debian_slim().add_local_file(tmp_path / "d" / "x.txt", "/etc/app/cfg")
    assert resolve_local(image._steps[1]) == ("/etc/app", [(str(tmp_path / "d" / "x.txt"), "cfg")])
    image = leveret.Image.debian_slim().add_local_python_source("apps.helpers")
    remote, files = resolve_local(image._steps[1])
    assert remote == PYTHON_SOURCE_DIR and [rel for _, rel in files] == ["apps/helpers.py"]


def test_bad_local_paths_name_the_fix(tmp_path):
    with pytest.raises(leveret.InvalidError, match="is not a directory"):
        leveret.Image.debian_slim().add_local_dir(tmp_path / "missing", "/data")
    with pytest.raises(leveret.InvalidError, match="remote_path must be absolute"):
        leveret.Image.debian_slim().add_local_dir(tmp_path, "data")


def test_requirements_file_becomes_pip_install(tmp_path):
    req = tmp_path / "requirements.txt"
    req.write_text("numpy==2.*  # arrays\n\n# comment\nrequests\n")
    image = leveret.Image.debian_slim().pip_install_from_requirements(req)
    assert image._steps[1]["packages"] == ["numpy==2.*", "requests"]
    req.write_text("-r other.txt\n")
    with pytest.raises(leveret.InvalidError, match="pip options"):
        leveret.Image.debian_slim().pip_install_from_requirements(req)


def test_a_worker_refuses_add_files_outside_the_image(tmp_path):
    from leveret.worker.images.builder import BuildError, ImageBuilder

    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "f").write_text("x")
    builder = ImageBuilder(str(tmp_path / "cache"), runtime=None)
    with pytest.raises(BuildError, match="leaves the image"):
        builder._add_files("lid", {"op": "add_files", "remote": "/../../../root/.ssh", "mount_id": "m"}, str(tmp_path / "files"))
