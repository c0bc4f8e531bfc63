"""Image.uv_pip_install built for real: uv fetched from PyPI in a crun build container, packages installed by it."""

import os
import shutil

import pytest
from _needs import missing

import leveret
from leveret.image import UV_VERSION
from leveret.testing import Cluster
from leveret.worker.images.builder import layer_id

pytestmark = pytest.mark.container


@pytest.fixture(scope="module")
def crun_cluster(tmp_path_factory):
    for tool in ("crun", "mmdebstrap"):
        if shutil.which(tool) is None:
            missing(f"{tool} is not installed (apt-get install {tool})")
    with Cluster(tmp_path_factory.mktemp("crun-uv-image"), runtime="crun") as c:
        yield c


def test_uv_pip_install_installs_with_uv(crun_cluster, tmp_path):
    from leveret._runner import RunContext

    requirements = tmp_path / "requirements.txt"
    requirements.write_text("idna  # read when the image is defined\n")
    # a python3 marked externally managed, as Debian's and Ubuntu's are in registry images
    managed = leveret.Image.debian_slim().run_commands(
        "python3 -c \"import pathlib, sysconfig; pathlib.Path(sysconfig.get_path('stdlib'), 'EXTERNALLY-MANAGED').touch()\"")
    # force_build: the step runs now, not from a layer an earlier run left in the machine's cache
    image = managed.uv_pip_install("six", requirements=[requirements], force_build=True)
    app = leveret.App("uv-image")

    @app.function(image=image, serialized=True)
    def installed_by():
        import importlib.metadata
        import os

        import idna  # noqa: F401
        import six  # noqa: F401

        installer = {name: importlib.metadata.distribution(name).read_text("INSTALLER").strip() for name in ("six", "idna")}
        return installer, os.access("/.uv/uv", os.X_OK)

    lines = []

    class Capture:
        def print_lines(self, batch):
            lines.extend(ln.text for ln in batch)

    with RunContext(app, printer=Capture()):
        assert installed_by.remote() == ({"six": "uv", "idna": "uv"}, True)
    assert f"image: uv {UV_VERSION} (" in "\n".join(lines), lines   # the build says which uv ran
    assert any("Installed 2 packages" in line for line in lines), lines
    steps = image._steps
    lid = layer_id(layer_id(layer_id("", steps[0]), steps[1]), steps[2])
    diff = os.path.join(crun_cluster.agent._images.layers, lid, "diff")
    assert os.path.isfile(os.path.join(diff, ".uv", "uv"))   # left where Modal leaves it
    assert not os.path.exists(os.path.join(diff, "root", ".cache"))   # no pip or uv cache in the layer
    tmp = os.path.join(diff, "tmp")
    assert not os.path.isdir(tmp) or not os.listdir(tmp)   # the step's temporary directory removed
