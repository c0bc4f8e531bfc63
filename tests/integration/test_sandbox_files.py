"""A sandbox's files from outside it (the process runtime here: its files are the host's, in a
directory of the test's own; tests/container has crun's, in an image without a shell): the
filesystem API, open() as FileIO, ls / mkdir / rm, and errors as the OSError they are."""

import os
import secrets

import pytest

import leveret
from leveret.exception import InvalidError


@pytest.fixture(scope="module")
def sb(cluster):
    app = leveret.App.lookup("sandbox-files-" + secrets.token_hex(3), create_if_missing=True)
    sb = leveret.Sandbox.create(app=app)
    sb.wait_until_ready()
    yield sb
    sb.terminate()


def test_write_and_read_bytes_and_text_byte_exact(sb, tmp_path):
    data = bytes(range(256)) * 40_000 + b"\n\x00end"   # ~10 MiB, every byte value
    sb.filesystem.write_bytes(data, f"{tmp_path}/deep/er/blob.bin")   # its directories made
    assert sb.filesystem.read_bytes(f"{tmp_path}/deep/er/blob.bin") == data
    sb.filesystem.write_text("héllo\n", f"{tmp_path}/a.txt")
    assert sb.filesystem.read_text(f"{tmp_path}/a.txt") == "héllo\n"
    sb.filesystem.write_bytes(b"", f"{tmp_path}/empty")
    assert sb.filesystem.read_bytes(f"{tmp_path}/empty") == b""


def test_copy_to_and_from_local(sb, tmp_path):
    local = tmp_path / "local.bin"
    local.write_bytes(os.urandom(300_000))
    sb.filesystem.copy_from_local(local, f"{tmp_path}/in-sandbox/copy.bin")
    sb.filesystem.copy_to_local(f"{tmp_path}/in-sandbox/copy.bin", tmp_path / "back.bin")
    assert (tmp_path / "back.bin").read_bytes() == local.read_bytes()


def test_list_stat_make_directory_and_remove(sb, tmp_path):
    root = f"{tmp_path}/tree"
    sb.filesystem.make_directory(f"{root}/sub/deeper")
    sb.filesystem.write_text("12345", f"{root}/five.txt")
    sb.filesystem.write_text("x", f"{root}/.hidden")
    entries = sb.filesystem.list_files(root)
    assert [(e.path, e.type) for e in entries] == [(f"{root}/.hidden", "file"), (f"{root}/five.txt", "file"),
                                                   (f"{root}/sub", "directory")]
    st = sb.filesystem.stat(f"{root}/five.txt")
    assert (st.type, st.size) == ("file", 5) and st.mode & 0o600 == 0o600 and st.mtime > 0
    with pytest.raises(FileExistsError):
        sb.filesystem.make_directory(f"{root}/sub", create_parents=False)
    with pytest.raises(OSError, match="Directory not empty"):
        sb.filesystem.remove(f"{root}/sub")
    sb.filesystem.remove(f"{root}/sub/deeper")
    sb.filesystem.remove(f"{root}/five.txt")
    sb.filesystem.remove(root, recursive=True)
    assert not os.path.exists(root)
    with pytest.raises(FileNotFoundError):
        sb.filesystem.remove(root)


def test_errors_are_the_oserror_they_name(sb, tmp_path):
    with pytest.raises(FileNotFoundError):
        sb.filesystem.read_bytes(f"{tmp_path}/nothing")
    with pytest.raises(IsADirectoryError):
        sb.filesystem.read_text(str(tmp_path))
    with pytest.raises(FileNotFoundError):
        sb.filesystem.list_files(f"{tmp_path}/nothing")
    with pytest.raises(InvalidError, match="absolute path"):
        sb.filesystem.read_bytes("relative.txt")
    with pytest.raises(InvalidError, match="takes bytes"):
        sb.filesystem.write_bytes("text", f"{tmp_path}/x")


def test_open_as_fileio_and_ls_mkdir_rm(sb, tmp_path):
    path = f"{tmp_path}/notes.txt"
    with sb.open(path, "w") as f:
        f.write("one\n")
        f.write("two\n")
    with sb.open(path, "a") as f:
        f.write("three\n")
    with sb.open(path, "r") as f:
        assert f.readline() == "one\n"
        assert f.read() == "two\nthree\n"
        f.seek(0)
        assert f.readlines() == ["one\n", "two\n", "three\n"]
    with sb.open(path, "r+b") as f:
        f.seek(4)
        f.write(b"TWO")
        f.seek(0)
        assert f.read() == b"one\nTWO\nthree\n"
    assert sb.filesystem.read_text(path) == "one\nTWO\nthree\n"
    with pytest.raises(FileNotFoundError):
        sb.open(f"{tmp_path}/missing.txt", "r")
    with pytest.raises(FileExistsError):
        sb.open(path, "x")
    sb.mkdir(f"{tmp_path}/made/here", parents=True)
    assert sb.ls(str(tmp_path)) == ["made", "notes.txt"]
    sb.rm(f"{tmp_path}/made", recursive=True)
    assert sb.ls(str(tmp_path)) == ["notes.txt"]


def test_watch_sees_creates_changes_renames_and_removes_as_they_come(sb, tmp_path):
    import threading

    from leveret.file_io import FileWatchEvent, FileWatchEventType as T

    root = str(tmp_path / "watched")
    os.makedirs(f"{root}/sub")
    with open(f"{root}/kept.txt", "w") as f:
        f.write("a")
    seen = []

    def act():   # (after the watch has its first listing: its first POLL_S)
        import time

        time.sleep(1.0)
        with open(f"{root}/new.txt", "w") as f:
            f.write("n")
        with open(f"{root}/kept.txt", "a") as f:
            f.write("more")
        os.rename(f"{root}/new.txt", f"{root}/renamed.txt")
        with open(f"{root}/sub/deep.txt", "w") as f:   # not watched: not recursive
            f.write("d")
        time.sleep(0.6)
        os.remove(f"{root}/renamed.txt")

    worker = threading.Thread(target=act)
    worker.start()
    for event in sb.filesystem.watch(root, timeout=4):
        seen.append(event)
    worker.join()
    kinds = {(e.type, tuple(e.paths)) for e in seen}
    assert (T.Modify, (f"{root}/kept.txt",)) in kinds
    assert (T.Create, (f"{root}/renamed.txt",)) in kinds or (T.Modify, (f"{root}/new.txt", f"{root}/renamed.txt")) in kinds
    assert (T.Remove, (f"{root}/renamed.txt",)) in kinds
    assert not any("deep.txt" in p for e in seen for p in e.paths)
    assert all(isinstance(e, FileWatchEvent) for e in seen)
    # recursive, and only creations
    creations = []

    def make():
        import time

        time.sleep(1.0)
        with open(f"{root}/sub/deeper.txt", "w") as f:
            f.write("x")
        os.remove(f"{root}/kept.txt")

    worker = threading.Thread(target=make)
    worker.start()
    creations = list(sb.watch(root, filter=[T.Create], recursive=True, timeout=3))
    worker.join()
    assert [(e.type, e.paths) for e in creations] == [(T.Create, [f"{root}/sub/deeper.txt"])]
    with pytest.raises(FileNotFoundError):
        list(sb.filesystem.watch(f"{root}/nowhere", timeout=2))


def test_fileio_has_aio_forms_and_is_an_async_context_manager(sb, tmp_path):
    import asyncio

    path = f"{tmp_path}/aio.txt"

    async def main():
        f = await sb.open.aio(path, "w")
        assert await f.write.aio("one\n") == 4
        await f.close.aio()
        async with await sb.open.aio(path, "a+") as f:
            await f.write.aio("two\n")
            await f.seek.aio(0)
            assert await f.read.aio() == "one\ntwo\n"
        return await sb.filesystem.read_text.aio(path)

    assert asyncio.run(main()) == "one\ntwo\n"
