"""Images built into cached layers and run by crun."""

import os

import pytest

import leveret
from leveret.testing import Cluster
from leveret.worker.images.base import cache_dir
from leveret.worker.images.builder import layer_id
from apps import images

pytestmark = pytest.mark.container


@pytest.fixture(scope="module")
def crun_cluster(tmp_path_factory):
    with Cluster(tmp_path_factory.mktemp("crun-images"), runtime="crun") as c:
        yield c


def test_a_function_runs_on_its_image(crun_cluster):
    with images.app.run(show_logs=False):
        assert images.inspect_image.remote() == {"mode": "prod", "cwd": "/app", "baked": "baked"}


def test_an_unchanged_image_is_a_cache_hit(crun_cluster):
    with images.app.run(show_logs=False):
        images.inspect_image.remote()
    builder = crun_cluster.agent._images
    misses = builder.misses
    with images.app.run(show_logs=False):
        assert images.inspect_image.remote()["baked"] == "baked"
    assert builder.misses == misses and builder.hits >= 1


def test_a_failing_step_reports_command_exit_code_and_output_and_caches_nothing(crun_cluster):
    with images.app.run(show_logs=False):
        with pytest.raises(leveret.ExecutionError) as info:
            images.never_runs.remote()
    message = str(info.value)
    assert "exit code 3" in message and "echo about to fail && exit 3" in message and "about to fail" in message
    steps = images.broken_image._steps
    failed = layer_id(layer_id("", steps[0]), steps[1])
    assert not os.path.exists(os.path.join(cache_dir(), "layers", failed))


def test_apt_and_pip_steps_install_from_the_registries(crun_cluster):
    lines = []

    class Capture:
        def print_lines(self, batch):
            lines.extend(ln.text for ln in batch)

    from leveret._runner import RunContext

    with RunContext(images.app, printer=Capture()):
        assert images.use_tools.remote() == ("2", "1.16.0")
    assert any("apt_install" in line for line in lines)   # build steps stream to the run's logs


def test_local_files_and_python_source_reach_the_image(crun_cluster):
    with images.app.run(show_logs=False):
        assert images.read_files.remote() == (["a.txt", "nested/b.txt"], "first file", "HI!")


def push_python_image(port: int, repository: str, auth=None) -> str:
    """A python image (the debian_slim root, uncompressed, and a marker layer) pushed; its reference."""
    import io
    import tarfile

    import registry as reg
    from leveret.worker.images.base import default_rootfs

    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        tar.add(default_rootfs(), arcname=".")
    marker = reg.tar_layer({"etc": None, "etc/from-registry.txt": b"pulled"}, "gzip")
    reg.Pusher(port, repository, auth=auth).image("v1", [(raw.getvalue(), reg.TAR), marker],
                                                  env=["PATH=/usr/local/bin:/usr/bin:/bin", "FROM_REGISTRY=yes"],
                                                  workdir="/srv")
    return f"127.0.0.1:{port}/{repository}:v1"


def test_a_function_runs_on_a_registry_image_with_steps_on_top(crun_cluster, local_registry, tmp_path, monkeypatch):
    import importlib

    ref = push_python_image(local_registry, "test/python")
    monkeypatch.setenv("LEVERET_TEST_REGISTRY_IMAGE", ref)
    module = importlib.reload(images)
    with module.registry_app.run(show_logs=False):
        assert module.on_registry_image.remote() == ("pulled", "layered", "yes", "/srv")


def test_a_private_registry_image_is_pulled_with_a_named_secret(crun_cluster, private_registry, monkeypatch):
    import importlib

    ref = push_python_image(private_registry, "team/python", auth=("alice", "s3cret"))
    leveret.Secret.objects.create("private-registry", {"REGISTRY_USERNAME": "alice", "REGISTRY_PASSWORD": "s3cret"},
                                  allow_existing=True)
    monkeypatch.setenv("LEVERET_TEST_PRIVATE_IMAGE", ref)
    module = importlib.reload(images)
    assert "s3cret" not in module.private_registry_app.registered_functions["on_private_image"]._options.image.to_json()
    with module.private_registry_app.run(show_logs=False):
        assert module.on_private_image.remote() == ("pulled", False)
