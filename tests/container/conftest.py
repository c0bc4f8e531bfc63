import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "e2e"))

import registry  # noqa: E402
from procs import free_port  # noqa: E402


@pytest.fixture(scope="session")
def local_registry(tmp_path_factory):
    """A docker-registry on 127.0.0.1; yields its port."""
    port = free_port()
    proc = registry.start(str(tmp_path_factory.mktemp("registry")), port)
    yield port
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="session")
def private_registry(tmp_path_factory):
    """A docker-registry on 127.0.0.1 that wants alice's password; yields its port."""
    port = free_port()
    proc = registry.start(str(tmp_path_factory.mktemp("private-registry")), port, users={"alice": "s3cret"})
    yield port
    proc.terminate()
    proc.wait(10)

