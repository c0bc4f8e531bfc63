"""A worker uses the server's chunk store directly only where it finds the store's id there, owns
it, and was not told --chunks-over-rpc (worker/volumes.py: VolumeMounts.use_store)."""

import os

from leveret.worker.volumes import VolumeMounts


def make_store(tmp_path, store_id: str):
    store = tmp_path / "chunks"
    store.mkdir()
    (store / ".store-id").write_text(store_id + "\n")
    return str(store)


def test_a_store_holding_its_id_is_used(tmp_path):
    store = make_store(tmp_path, "abc")
    mounts = VolumeMounts(str(tmp_path / "worker"))
    mounts.use_store(store, "abc")
    assert mounts.store == store
    assert mounts._cached("ab" + "0" * 62) == os.path.join(store, "ab", "ab" + "0" * 62)


def test_another_id_a_missing_directory_or_over_rpc_means_rpcs(tmp_path):
    store = make_store(tmp_path, "abc")
    mounts = VolumeMounts(str(tmp_path / "worker"))
    mounts.use_store(store, "abc")
    mounts.use_store(store, "another server's")   # a reconnect to a server elsewhere: back to RPCs
    assert mounts.store is None
    assert mounts._cached("ab" + "0" * 62).startswith(mounts.cache)
    mounts.use_store(str(tmp_path / "nowhere"), "abc")
    assert mounts.store is None
    told = VolumeMounts(str(tmp_path / "worker2"), over_rpc=True)
    told.use_store(store, "abc")
    assert told.store is None


def test_a_store_owned_by_another_user_is_not_used(tmp_path):
    if os.geteuid() != 0:
        import pytest

        pytest.skip("giving the directory to another user needs root")
    store = make_store(tmp_path, "abc")
    os.chown(store, 54321, -1)
    mounts = VolumeMounts(str(tmp_path / "worker"))
    mounts.use_store(store, "abc")
    assert mounts.store is None
