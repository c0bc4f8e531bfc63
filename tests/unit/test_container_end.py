"""How the worker tells the server a container ended (worker/container_end.py): the state and the
message a user sees, from how it exited."""

import signal

from leveret._shared.containers import ContainerState
from leveret.worker.container_end import container_end

FAILED, STOPPED = ContainerState.FAILED, ContainerState.STOPPED


def end(exit_code, message="", failed=False, *, stopping=False, oom_killed=False, stderr_tail=()):
    return container_end(exit_code, message, failed, stopping=stopping, oom_killed=oom_killed, memory_mb=512,
                         stderr_tail=list(stderr_tail))


def test_a_crash_fails_naming_its_signal_and_the_last_lines_of_its_stderr():
    assert end(-signal.SIGSEGV, stderr_tail=["Fatal Python error", "Segmentation fault"]) == (
        FAILED, "container was killed by SIGSEGV; last lines of its stderr:\nFatal Python error\nSegmentation fault")
    assert end(3) == (FAILED, "container exited with code 3")
    assert end(-99) == (FAILED, "container was killed by signal 99")


def test_a_container_the_worker_stopped_stops_whatever_its_exit():
    assert end(-signal.SIGKILL, stopping=True) == (STOPPED, "")
    assert end(0) == (STOPPED, "")


def test_the_reason_the_worker_had_is_the_message():
    assert end(-signal.SIGKILL, "container sent a frame its worker cannot read: x") == (
        FAILED, "container sent a frame its worker cannot read: x")
    assert end(-1, "container could not start: no image", failed=True, stopping=True) == (
        FAILED, "container could not start: no image")


def test_the_memory_limits_kill_says_how_to_ask_for_more():
    state, message = end(-signal.SIGKILL, oom_killed=True, stderr_tail=["MemoryError"])
    assert (state, message) == (FAILED, "container ran out of memory: it is limited to memory=512 MiB;"
                                        " ask for more with @app.function(memory=...)")
