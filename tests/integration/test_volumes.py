"""Volume from a client through a real server: batch_upload (files, directories, file objects; force),
listdir, read_file, remove_file, copy_files; chunks deduplicated; a commit atomic; errors named."""

import io
import os
import threading

import pytest

import leveret
from leveret.volume import FileEntryType


@pytest.fixture
def vol(cluster):
    import secrets

    name = "v-" + secrets.token_hex(4)
    yield leveret.Volume.from_name(name, create_if_missing=True)
    leveret.Volume.objects.delete(name, allow_missing=True)


def read(vol, path) -> bytes:
    return b"".join(vol.read_file(path))


def test_upload_list_read_remove_and_copy(vol, tmp_path):
    (tmp_path / "d" / "sub").mkdir(parents=True)
    (tmp_path / "d" / "a.txt").write_bytes(b"alpha")
    (tmp_path / "d" / "sub" / "b.bin").write_bytes(os.urandom(9 * 1024 * 1024))   # two chunks
    (tmp_path / "one.txt").write_text("one")
    with vol.batch_upload() as batch:
        batch.put_directory(tmp_path / "d", "/data")
        batch.put_file(tmp_path / "one.txt", "/top/one.txt")
        batch.put_file(io.BytesIO(b"from memory"), "mem.txt")
    names = {(e.path, e.type) for e in vol.listdir("/")}
    assert names == {("data", FileEntryType.DIRECTORY), ("top", FileEntryType.DIRECTORY),
                     ("mem.txt", FileEntryType.FILE)}
    deep = {e.path: e for e in vol.listdir("/data", recursive=True)}
    assert set(deep) == {"data/a.txt", "data/sub", "data/sub/b.bin"}
    assert deep["data/sub/b.bin"].size == 9 * 1024 * 1024
    assert read(vol, "/data/sub/b.bin") == (tmp_path / "d" / "sub" / "b.bin").read_bytes()
    assert read(vol, "mem.txt") == b"from memory"
    buf = io.BytesIO()
    assert vol.read_file_into_fileobj("top/one.txt", buf) == 3 and buf.getvalue() == b"one"
    assert [e.path for e in vol.listdir("data/a.txt")] == ["data/a.txt"]
    assert sorted(e.path for e in vol.iterdir("/data")) == sorted(deep)

    vol.copy_files(["/data/a.txt", "/top/one.txt"], "/copies")
    vol.copy_files(["/data"], "/backup", recursive=True)
    assert read(vol, "copies/a.txt") == b"alpha" and read(vol, "copies/one.txt") == b"one"
    assert read(vol, "backup/sub/b.bin") == read(vol, "data/sub/b.bin")
    with pytest.raises(leveret.exception.InvalidError, match="is a directory: copy it with recursive=True"):
        vol.copy_files(["/data"], "/elsewhere")

    with pytest.raises(leveret.exception.InvalidError, match="not empty: remove it with recursive=True"):
        vol.remove_file("/data")
    vol.remove_file("/data", recursive=True)
    vol.remove_file("mem.txt")
    assert {e.path for e in vol.listdir("/")} == {"top", "copies", "backup"}
    with pytest.raises(leveret.exception.NotFoundError, match="no file or directory 'data'"):
        vol.listdir("/data")
    with pytest.raises(leveret.exception.NotFoundError, match="'mem.txt' is no file"):
        read(vol, "mem.txt")


def test_an_upload_does_not_replace_a_file_unless_forced(vol, tmp_path):
    with vol.batch_upload() as batch:
        batch.put_file(io.BytesIO(b"v1"), "f")
    with pytest.raises(leveret.exception.AlreadyExistsError, match="batch_upload\\(force=True\\)"):
        with vol.batch_upload() as batch:
            batch.put_file(io.BytesIO(b"v2"), "f")
    assert read(vol, "f") == b"v1"
    with vol.batch_upload(force=True) as batch:
        batch.put_file(io.BytesIO(b"v2"), "f")
    assert read(vol, "f") == b"v2"
    with pytest.raises(leveret.exception.InvalidError, match="'f' is a file in the volume, so nothing can go under it"):
        with vol.batch_upload() as batch:
            batch.put_file(io.BytesIO(b"x"), "f/g")
    with pytest.raises(leveret.exception.InvalidError, match="'..' is not allowed"):
        vol.listdir("../etc")


def test_chunks_are_kept_once_and_only_missing_ones_are_sent(vol, cluster):
    data = os.urandom(3 * 1024 * 1024)
    with vol.batch_upload() as batch:
        batch.put_file(io.BytesIO(data), "a")
        batch.put_file(io.BytesIO(data), "b")
    chunk_dir = cluster.dispatcher.chunks.dir
    stored = [f for _, _, files in os.walk(chunk_dir) for f in files if not f.startswith(".")]
    import hashlib

    assert hashlib.sha256(data).hexdigest() in stored
    assert len([f for f in stored if f == hashlib.sha256(data).hexdigest()]) == 1
    assert read(vol, "a") == read(vol, "b") == data


def test_a_reader_during_commits_sees_one_version_or_the_other(vol):
    """A file replaced again and again while another thread reads it: each read is all old or all new."""
    old, new = b"o" * (10 * 1024 * 1024), b"n" * (10 * 1024 * 1024)   # two chunks each
    with vol.batch_upload() as batch:
        batch.put_file(io.BytesIO(old), "big")
    seen, stop = set(), threading.Event()

    def reader():
        while not stop.is_set():
            seen.add(read(vol, "big")[::1024 * 1024])

    t = threading.Thread(target=reader)
    t.start()
    for i in range(6):
        with vol.batch_upload(force=True) as batch:
            batch.put_file(io.BytesIO(new if i % 2 == 0 else old), "big")
    stop.set()
    t.join(30)
    assert seen <= {old[::1024 * 1024], new[::1024 * 1024]} and seen


def test_a_deleted_volume_is_not_found_and_volume_objects_list_it(cluster):
    with leveret.Volume.ephemeral() as tmp:
        with tmp.batch_upload() as batch:
            batch.put_file(io.BytesIO(b"x"), "x")
        name = tmp.name
        assert name in [v.name for v in leveret.Volume.objects.list()]
        assert tmp.info().name == name
    assert name not in [v.name for v in leveret.Volume.objects.list()]
    with pytest.raises(leveret.exception.NotFoundError, match="no Volume"):
        tmp.listdir("/")
    with pytest.raises(leveret.exception.InvalidError, match="Volume.commit\\(\\) is for code in a container"):
        leveret.Volume.from_name("any").commit()
    with pytest.raises(leveret.exception.InvalidError, match="version 2"):
        leveret.Volume.from_name("any", version=1)
