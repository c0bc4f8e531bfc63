"""Finding: with the disk of the server's store full, a spawn or a map failed with "UNKNOWN:
Unexpected <class 'sqlite3.OperationalError'>: database or disk is full", and each failed write
logged a traceback. Now what needs a write is refused with ResourceExhaustedError naming the store
and the fix, the log says once that the disk is full and once that writes go through again, the
calls work again as soon as there is room, and the store is intact."""

import logging
import os
import sqlite3
import subprocess

import pytest

import leveret
from apps import restart as r
from leveret.testing import Cluster

FULL = r"the server's storage is full: its store \(.*state\.db\) could not write \(database or disk is full\); free space"


@pytest.fixture
def small_disk(tmp_path):
    """A 24 MiB filesystem of the test's own for the server's store."""
    if os.geteuid() != 0:
        from _needs import missing

        missing("a small filesystem for the store needs root (mount -t tmpfs)")
    mount = tmp_path / "small"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(directory) -> str:
    path = os.path.join(directory, "filler")
    with open(path, "wb") as f:
        try:
            while True:
                f.write(b"\0" * (1 << 20))
                f.flush()
        except OSError:
            pass
    return path


def test_a_full_store_disk_refuses_writes_naming_it_and_recovers_when_space_returns(tmp_path, small_disk, caplog):
    caplog.set_level(logging.WARNING, logger="leveret.server")
    db = small_disk / "state.db"
    with Cluster(tmp_path / "cluster", db=str(db)):
        with r.app.run(show_logs=False):
            before = r.sleep_then_square.spawn(5, 0)
            assert before.get(timeout=60) == 25
            filler = fill(small_disk)
            with pytest.raises(leveret.exception.ResourceExhaustedError, match=FULL):
                r.sleep_then_square.spawn(4, 0)
            with pytest.raises(leveret.exception.ResourceExhaustedError, match=FULL):
                list(r.slow_square.map(range(20)))
            os.remove(filler)
            assert r.sleep_then_square.spawn(4, 0).get(timeout=60) == 16
            assert list(r.slow_square.map(range(20))) == [x * x for x in range(20)]
            assert leveret.FunctionCall.from_id(before.object_id).get(timeout=60) == 25
    with sqlite3.connect(db) as check:
        assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    said = [rec.message for rec in caplog.records]
    assert sum("the store's disk is full" in m for m in said) == 1, said
    assert sum("the store writes again: its disk has room" in m for m in said) == 1, said
    assert not any(rec.exc_info for rec in caplog.records), said   # no traceback per failed write
