"""A Volume mounted in real crun containers: files written and committed in one container are read
by the client and, after reload(), by another; what a client uploads a container reads; two
containers committing different files at once both land; a container's writes are committed when
it ends; read-only and sub_path mounts."""

import hashlib
import io
import os

import pytest
from crun import crun_cluster_running

import leveret
from apps import volume_user

pytestmark = pytest.mark.container


@pytest.fixture(scope="module")
def crun_cluster(tmp_path_factory):
    yield from crun_cluster_running(tmp_path_factory, "crun-volumes", volume_user.app)


def read(path: str) -> bytes:
    return b"".join(volume_user.vol.read_file(path))


def test_a_commit_in_a_container_is_read_by_the_client_and_after_reload_by_others(crun_cluster):
    assert "hello.txt" in volume_user.write.remote("hello.txt", "hi there")
    assert read("hello.txt") == b"hi there"
    with volume_user.vol.batch_upload(force=True) as batch:
        batch.put_file(io.BytesIO(b"from the client"), "/client/up.txt")
    assert volume_user.read.remote("client/up.txt") == "from the client"
    volume_user.write.remote("hello.txt", "changed")
    assert volume_user.read.remote("hello.txt") == "changed"
    volume_user.remove.remote("hello.txt")
    assert volume_user.read.remote("hello.txt") is None
    assert "hello.txt" not in [e.path for e in volume_user.vol.listdir("/")]


def test_two_containers_committing_different_files_at_once_both_land(crun_cluster):
    a = volume_user.writer_a.spawn("from-a.txt", 1.0)
    b = volume_user.writer_b.spawn("from-b.txt", 1.0)
    a.get(timeout=60), b.get(timeout=60)
    assert read("from-a.txt") == b"from a" and read("from-b.txt") == b"from b"
    assert volume_user.read.remote("from-a.txt") == "from a" and volume_user.read.remote("from-b.txt") == "from b"


def test_read_only_and_sub_path_mounts(crun_cluster):
    volume_user.write.remote("nested/inner.txt", "deep")
    seen = volume_user.views.remote("nested/inner.txt")
    assert seen["ro"] == "deep" and seen["sub"] == ["inner.txt"]
    assert seen["ro_write"] == "OSError" and seen["committed"] is True


def test_what_a_container_wrote_is_committed_when_it_ends(crun_cluster):
    volume_user.write.remote("uncommitted.txt", "kept at the end", commit=False)
    with pytest.raises(leveret.exception.NotFoundError):
        read("uncommitted.txt")
    writers = [c.container_id for c in crun_cluster.containers("volume-user") if c.function_name == "write"]
    for ct in writers:
        crun_cluster.stop_container(ct)
    crun_cluster.wait_for(lambda d: not set(writers) & {c.container_id for c in crun_cluster.containers("volume-user")},
                          timeout=30)
    assert read("uncommitted.txt") == b"kept at the end"


def test_a_worker_on_the_servers_disk_keeps_chunks_in_its_store_directly(crun_cluster):
    volumes = crun_cluster.agent.volumes
    assert volumes.store == crun_cluster.dispatcher.chunks.dir   # told by the server, and its .store-id found
    text = "straight into the store " + os.urandom(8).hex()
    volume_user.write.remote("direct.txt", text)
    digest = hashlib.sha256(text.encode()).hexdigest()
    assert os.path.isfile(os.path.join(volumes.store, digest[:2], digest))
    assert not os.path.exists(os.path.join(volumes.cache, digest[:2], digest))   # no copy in the worker's cache
    assert not [n for n in os.listdir(volumes.store) if n.startswith(".incoming-")]   # no temp file left
    assert read("direct.txt") == text.encode()
    assert volume_user.read.remote("direct.txt") == text
