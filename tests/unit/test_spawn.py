"""spawn.py: a child started by vfork with its pipes as asyncio streams, whatever happens to the caller."""

import asyncio
import gc
import os
import warnings

import pytest

from leveret._shared.aio import new_event_loop
from leveret.worker.runtime.spawn import PIPE, spawn


def _run(main):
    loop = new_event_loop()   # uvloop's, as the worker's
    try:
        return loop.run_until_complete(main())
    finally:
        loop.close()


def test_its_pipes_carry_what_it_says_and_reads():
    async def main():
        proc = await spawn("sh", "-c", "read x; echo out $x; echo err >&2; exit 3", stdin=PIPE, stdout=PIPE,
                           stderr=PIPE)
        out, err = await proc.communicate(b"hi\n")
        return out, err, proc.returncode

    assert _run(main) == (b"out hi\n", b"err\n", 3)


@pytest.mark.parametrize("hops", range(6))
def test_a_caller_cancelled_while_its_pipes_are_handed_over_leaves_no_file_to_close_twice(hops):
    """Cancelled at each point of the hand-over: the child is killed, every pipe closed once, and
    nothing is left for the collector to close, which by then would be another file's number
    (uvloop closes the descriptor of a pipe it did not take, not its file object)."""
    async def main():
        task = asyncio.ensure_future(spawn("sleep", "30", stdin=PIPE, stdout=PIPE, stderr=PIPE))
        for _ in range(hops):
            await asyncio.sleep(0)
        task.cancel()
        try:
            proc = await task
        except asyncio.CancelledError:
            return None
        proc.kill()
        await proc.wait()
        proc.close_pipes()
        return proc

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        before = set(os.listdir("/proc/self/fd"))
        _run(main)
        canary = os.open("/dev/null", os.O_RDONLY)   # takes the lowest free number: a freed pipe's
        try:
            gc.collect()
            os.fstat(canary)   # EBADF had the collector closed a pipe's number again
        finally:
            os.close(canary)
        after = set(os.listdir("/proc/self/fd"))
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []
    assert after <= before
