"""The workdir lock and the socket directory of a worker (worker/workdir.py)."""

import os

import pytest

from leveret.worker.workdir import WorkdirError, fresh_socket_dir, lock_workdir, socket_dir_for


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


def test_the_socket_directory_is_one_per_workdir_and_short(tmp_path):
    workdir = tmp_path / ("long-" * 40)
    workdir.mkdir()
    (tmp_path / "link").symlink_to(workdir)
    assert socket_dir_for(str(workdir)) == socket_dir_for(str(tmp_path / "link")) == socket_dir_for(f"{workdir}/")
    assert socket_dir_for(str(workdir)) != socket_dir_for(str(tmp_path))
    assert len(os.path.join(socket_dir_for(str(workdir)), "ct-0123456789abcdef", "sock")) < 108


def test_a_fresh_socket_directory_is_empty_and_private(tmp_path):
    path = tmp_path / "sockets"
    (path / "ct-1").mkdir(parents=True)
    (path / "ct-1" / "sock").write_text("")
    fresh_socket_dir(str(path))
    assert os.listdir(path) == [] and os.stat(path).st_mode & 0o777 == 0o700


def test_a_socket_directory_that_is_a_link_is_refused_and_not_followed(tmp_path):
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / "keep").write_text("")
    (tmp_path / "sockets").symlink_to(target)
    with pytest.raises(WorkdirError, match="is not a directory of this user: remove it"):
        fresh_socket_dir(str(tmp_path / "sockets"))
    assert os.listdir(target) == ["keep"]


def test_a_worker_told_to_wait_gets_the_workdir_once_its_holder_lets_go_and_says_it_waits(tmp_path):
    import threading

    workdir = str(tmp_path / "w")
    held = lock_workdir(workdir)
    waited = []

    def waiting(pid):
        waited.append(pid)
        threading.Timer(0.2, held.close).start()   # the old worker exits a moment later

    lock = lock_workdir(workdir, wait_s=30, on_wait=waiting)
    assert waited == [str(os.getpid())]
    with open(os.path.join(workdir, "worker.lock")) as f:
        assert f.read() == f"{os.getpid()}\n"
    lock.close()


def test_a_worker_that_waited_in_vain_names_the_holder_and_how_long(tmp_path):
    workdir = str(tmp_path / "w")
    held = lock_workdir(workdir)
    with pytest.raises(WorkdirError, match=rf"another worker \(pid {os.getpid()}\) is running on the workdir {workdir}"
                                           r" after waiting 0.1 s for it to exit: stop it"):
        lock_workdir(workdir, wait_s=0.1)
    held.close()
