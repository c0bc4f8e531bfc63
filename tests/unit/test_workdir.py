"""The workdir lock of a worker (worker/workdir.py)."""

import os

import pytest

from leveret.worker.workdir import WorkdirError, lock_workdir


def test_a_held_workdir_refuses_a_second_lock_naming_the_holder_and_is_free_once_released(tmp_path):
    workdir = str(tmp_path / "w")
    held = lock_workdir(workdir)
    with pytest.raises(WorkdirError, match=rf"another worker \(pid {os.getpid()}\) is running on the workdir {workdir}:"
                                           " stop it, or start this one with another --workdir"):
        lock_workdir(workdir)
    held.close()
    lock_workdir(workdir).close()


def test_an_unwritable_workdir_names_the_fix(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(WorkdirError, match=r"cannot write to the worker's workdir .*/file/w \(Not a directory\):"
                                           " give it a writable directory with --workdir"):
        lock_workdir(str(tmp_path / "file" / "w"))
