"""Workers' user id ranges: each worker of a host its own, kept across its restarts, and a range
whose worker's state directory is gone taken again."""

from leveret.worker.runtime.userns import FIRST, SIZE, IdRange


def test_each_worker_its_own_range_kept_across_restarts(tmp_path):
    run = str(tmp_path / "run")
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    first = IdRange.take(str(a), run)
    second = IdRange.take(str(b), run)
    assert first.base == FIRST and second.base == FIRST + SIZE
    assert IdRange.take(str(a), run) == first   # a restarted worker: the same ids, its files still its own
    assert first.uid_map() == [{"containerID": 0, "hostID": FIRST, "size": SIZE}]


def test_a_gone_workers_range_is_taken_again(tmp_path):
    run = str(tmp_path / "run")
    gone, new = tmp_path / "gone", tmp_path / "new"
    gone.mkdir()
    new.mkdir()
    held = IdRange.take(str(gone), run)
    gone.rmdir()
    assert IdRange.take(str(new), run) == held
