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


@pytest.mark.parametrize("name", ["pip_install_from_pyproject", "dockerfile_commands", "run_function",
                                  "micromamba_install", "entrypoint", "cmd"])
def test_steps_not_implemented_yet_say_so(name):
    with pytest.raises(NotImplementedOptionError, match=f"Image.{name} is not supported yet; .*"):
        getattr(leveret.Image.debian_slim(), name)("x")


@pytest.mark.parametrize("name", ["micromamba", "from_aws_ecr", "from_gcp_artifact_registry"])
def test_constructors_not_implemented_yet_say_what_to_use(name):
    with pytest.raises(NotImplementedOptionError, match=f"Image.{name} is not supported yet; (start from|use) Image"):
        getattr(leveret.Image, name)("x")


@pytest.mark.parametrize("name", ["NetworkFileSystem", "Mount", "interact"])
def test_modals_names_not_there_yet_say_so_and_what_to_use(name):
    with pytest.raises(NotImplementedOptionError, match=f"leveret.{name} is not supported yet: "):
        getattr(leveret, name)
    assert not hasattr(leveret, "NoSuchName")   # any other name: AttributeError, as before


def test_from_registry_options_not_yet():
    with pytest.raises(NotImplementedOptionError, match="add_python"):
        leveret.Image.from_registry("python:3.11-slim", add_python="3.11")


def test_step_commands():
    assert "apt-get install -y -q --no-install-recommends curl jq" in step_command({"op": "apt_install", "packages": ["curl", "jq"]})
    assert step_command({"op": "pip_install", "packages": ["numpy==2.*"]}).endswith("'numpy==2.*'")
    assert step_command({"op": "run_commands", "commands": ["a", "b"]}) == "(a) && (b)"


def test_uv_pip_install_step_is_canonical():
    from leveret.image import UV_VERSION

    image = leveret.Image.debian_slim().uv_pip_install("six", ["attrs>=23"], extra_index_url="https://example.com/simple",
                                                       pre=True, extra_options="--index-strategy 'unsafe-best-match'")
    assert image._steps[1] == {
        "op": "uv_pip_install", "packages": ["attrs>=23", "six"], "requirements": [], "find_links": "", "index_url": "",
        "extra_index_url": "https://example.com/simple", "pre": True,
        "extra_options": ["--index-strategy", "unsafe-best-match"], "uv_version": UV_VERSION}
    same = leveret.Image.debian_slim().uv_pip_install("attrs>=23", "six", extra_index_url="https://example.com/simple",
                                                      pre=True, extra_options="--index-strategy unsafe-best-match")
    assert same.to_json() == image.to_json()   # the same layer id: order and quoting do not matter
    assert leveret.Image.from_json(image.to_json()).to_json() == image.to_json()
    assert leveret.Image.debian_slim().uv_pip_install() ._steps == leveret.Image.debian_slim()._steps
    assert leveret.Image.debian_slim().uv_pip_install("six", uv_version="0.4.30")._steps[1]["uv_version"] == "0.4.30"
    forced = leveret.Image.debian_slim().uv_pip_install("six", force_build=True)
    assert "force" in forced._steps[1] and "force" not in leveret.Image.debian_slim().uv_pip_install("six")._steps[1]


def test_uv_pip_install_reads_requirements_files_when_the_image_is_defined(tmp_path, monkeypatch):
    monkeypatch.delenv("LEVERET_CONTAINER_ID", raising=False)
    (tmp_path / "a").mkdir()
    req = tmp_path / "a" / "requirements.txt"
    req.write_text("six==1.17.0  # compat\n--extra-index-url https://example.com/simple\n")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\ndependencies = ['six']\n")
    image = leveret.Image.debian_slim().uv_pip_install(requirements=[req, str(tmp_path / "pyproject.toml")])
    assert image._steps[1]["packages"] == []
    assert image._steps[1]["requirements"] == [
        {"name": "requirements.txt", "text": "six==1.17.0  # compat\n--extra-index-url https://example.com/simple\n"},
        {"name": "pyproject.toml", "text": "[project]\nname = 'x'\ndependencies = ['six']\n"}]
    req.write_text("six\n")
    assert leveret.Image.debian_slim().uv_pip_install(requirements=[req]).to_json() != image.to_json()
    monkeypatch.setenv("LEVERET_CONTAINER_ID", "ct-1")   # in a container the files need not be there
    assert leveret.Image.debian_slim().uv_pip_install(requirements=[tmp_path / "missing.txt"])._steps[1:] == ()


def test_uv_pip_install_command():
    from leveret.image import UV_VERSION

    command = step_command(leveret.Image.debian_slim().uv_pip_install("six", "attrs>=23")._steps[1])
    fetch, _, rest = command.partition(" && /.uv/uv pip install ")
    assert ("PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --no-cache-dir --disable-pip-version-check"
            f' --only-binary=:all: --no-deps --target "$d" uv=={UV_VERSION}') in fetch
    assert 'mv "$d/bin/uv" /.uv/uv && /.uv/uv --version' in fetch   # the build output says which uv ran
    assert rest == ('--python "$(command -v python3)" --no-cache --link-mode=copy --compile-bytecode --break-system-packages'
                    " 'attrs>=23' six && rm -rf \"$d\"")
    step = {"op": "uv_pip_install", "packages": ["six"], "requirements": [{"name": "req's.txt", "text": "six\nidna\n"}],
            "find_links": "/wheels", "index_url": "https://a.example/simple", "extra_index_url": "https://b.example/simple",
            "pre": True, "extra_options": ["--index-strategy", "a b"], "uv_version": "0.4.30"}
    command = step_command(step)
    assert "uv==0.4.30" in command
    assert """mkdir "$d"/req0 && printf %s 'six\nidna\n' > "$d"/req0/'req'"'"'s.txt'""" in command
    assert ("--find-links /wheels --index-url https://a.example/simple --extra-index-url https://b.example/simple"
            """ --prerelease allow --index-strategy 'a b' --requirements "$d"/req0/'req'"'"'s.txt' six""") in command


def test_uv_pip_install_command_runs_in_a_shell(tmp_path):
    """The command, with python3 and uv faked, does what it says: uv gets the requirements file as written."""
    import os
    import stat
    import subprocess

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fakes = {"uv": 'echo "uv $*"; for a; do case $a in *.txt) cat "$a";; esac; done',   # echoes, shows requirements
             # `python3 -m pip install ... --target DIR uv==V` puts uv in DIR/bin
             "python3": f'for a; do dir=$prev; prev=$a; done; mkdir -p "$dir/bin" && cp {bin_dir}/uv "$dir/bin/uv"'}
    for name, body in fakes.items():
        (bin_dir / name).write_text(f"#!/bin/sh\n{body}\n")
        (bin_dir / name).chmod((bin_dir / name).stat().st_mode | stat.S_IEXEC)
    step = {"op": "uv_pip_install", "packages": ["six"], "requirements": [{"name": "r.txt", "text": "it's\n$(nope)\n"}],
            "find_links": "", "index_url": "", "extra_index_url": "", "pre": False, "extra_options": [], "uv_version": "1.0.0"}
    root = tmp_path / "root"
    command = step_command(step).replace("/.uv/", f"{root}/.uv/").replace("mkdir -p /.uv", f"mkdir -p {root}/.uv")
    done = subprocess.run(["/bin/sh", "-c", command], capture_output=True, text=True,
                          env={"PATH": f"{bin_dir}:/usr/bin:/bin", "SSL_CERT_FILE": "/x.pem"})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "uv --version"
    assert lines[1].startswith(f"uv pip install --python {bin_dir}/python3 --no-cache") and lines[1].endswith("/req0/r.txt six")
    assert lines[2:] == ["it's", "$(nope)"]
    assert os.path.isfile(root / ".uv" / "uv")


@pytest.mark.parametrize("call, error, match", [
    (lambda i: i.uv_pip_install("--upgrade"), leveret.InvalidError, "not a package name"),
    (lambda i: i.uv_pip_install("six", requirements="r.txt"), leveret.InvalidError, "requirements=\\['requirements.txt'\\]"),
    (lambda i: i.uv_pip_install(requirements=["/no/such/r.txt"]), leveret.InvalidError, "cannot read requirements file"),
    (lambda i: i.uv_pip_install("six", index_url="https://a b"), leveret.InvalidError, "index_url takes one URL"),
    (lambda i: i.uv_pip_install("six", find_links=3), leveret.InvalidError, "find_links takes one URL"),
    (lambda i: i.uv_pip_install("six", extra_options="--index-strategy 'unclosed"), leveret.InvalidError, "does not parse"),
    (lambda i: i.uv_pip_install("six", extra_options="numpy --pre"), leveret.InvalidError, "not a list of uv options"),
    (lambda i: i.uv_pip_install("six", extra_options="--pre ''"), leveret.InvalidError, "not a list of uv options"),
    (lambda i: i.uv_pip_install("six", extra_options=["--pre"]), leveret.InvalidError, "takes a string of uv options"),
    (lambda i: i.uv_pip_install("six", uv_version="latest"), leveret.InvalidError, "uv_version='0."),
    (lambda i: i.uv_pip_install("six", secrets=[object()]), NotImplementedOptionError, "secrets=.*remove `secrets=`"),
    (lambda i: i.uv_pip_install("six", gpu="A100"), NotImplementedOptionError, "gpu=.*remove `gpu=`"),
    (lambda i: i.uv_pip_install("six", env={"A": "1"}), NotImplementedOptionError, r"\.env\(\{\.\.\.\}\)"),
])
def test_uv_pip_install_bad_input_names_the_fix(call, error, match):
    with pytest.raises(error, match=match):
        call(leveret.Image.debian_slim())


def test_uv_pip_install_refuses_requirements_that_read_other_local_files(tmp_path, monkeypatch):
    monkeypatch.delenv("LEVERET_CONTAINER_ID", raising=False)
    req = tmp_path / "requirements.txt"
    for line in ("-r base.txt", "--requirement=base.txt", "-c constraints.txt", "-rbase.txt", "  --constraint c.txt"):
        req.write_text(f"six\n{line}\n")
        with pytest.raises(leveret.InvalidError, match="list each requirements file in requirements="):
            leveret.Image.debian_slim().uv_pip_install(requirements=[req])


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
