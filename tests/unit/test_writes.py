import asyncio
import sqlite3
import threading

import pytest

from leveret.server.reads import Reads
from leveret.server.store import SqliteStore, Store
from leveret.server.writes import WriteBehind


@pytest.fixture
def begins(store):
    """The BEGIN statements the store runs, i.e. its transactions."""
    statements = []
    store.db.set_trace_callback(statements.append)
    return lambda: [s for s in statements if s.strip().upper().startswith("BEGIN")]


class Disk:
    """The store's connection, whose commits can be held (``gate``) or fail (``broken``)."""

    def __init__(self, store):
        self._db = store.db
        self.gate = threading.Event()
        self.gate.set()
        self.committing = threading.Event()
        self.broken = False
        store.db = self

    def execute(self, sql, *args):
        if sql == "COMMIT":
            self.committing.set()
            self.gate.wait(10)
            if self.broken:
                self._db.execute("ROLLBACK")
                raise sqlite3.OperationalError("disk I/O error")
        return self._db.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self._db, name)


def broken(store):
    raise RuntimeError("disk on fire")


def test_writes_of_one_step_commit_together_after_the_step(store, reader, begins):
    async def main():
        wb = WriteBehind(store)
        wb.add(Store.create_app, "ap-1", "etl", "")
        wb.add(Store.create_call, "fc-1", "fu-1", "remote", 1, [("in-1", 0, b"x")])   # nests a transaction
        wb.add(Store.add_outputs, [("in-1", "fc-1", 0, 0, 1, b"r", 0, "", "ct-1")])
        assert reader.get_app("ap-1") is None     # nothing written during the step
        assert begins() == []
        await wb.durable()
        assert begins() == ["BEGIN"]
        assert reader.get_app("ap-1") is not None
        assert reader.get_call("fc-1") is not None
        assert len(reader.get_outputs("fc-1", 0)) == 1
        await wb.close()

    asyncio.run(main())


def test_writes_of_separate_steps_commit_separately(store, begins):
    async def main():
        wb = WriteBehind(store)
        wb.add(Store.create_app, "ap-1", "etl", "")
        await wb.durable()
        wb.add(Store.create_app, "ap-2", "etl", "")
        await wb.durable()
        assert len(begins()) == 2
        await wb.close()

    asyncio.run(main())


def test_steps_queued_during_a_slow_commit_commit_together_next_in_their_order(store, reader, begins):
    async def main():
        disk = Disk(store)
        disk.gate.clear()
        wb = WriteBehind(store)
        wb.add(Store.create_app, "ap-0", "etl", "")
        await asyncio.get_running_loop().run_in_executor(None, disk.committing.wait)   # the writer is committing
        for n in range(1, 4):                 # three steps of the loop meanwhile: the loop is not held
            wb.add(Store.create_app, f"ap-{n}", "etl", "")
            wb.add(Store.stop_app, f"ap-{n - 1}", f"after ap-{n}")
            await asyncio.sleep(0)
        assert reader.get_app("ap-0") is None
        disk.gate.set()
        await wb.durable()
        assert len(begins()) == 2             # the first commit, then the three steps in one
        assert [reader.get_app(f"ap-{n}")["state"] for n in range(4)] == ["stopped"] * 3 + ["ephemeral"]
        await wb.close()

    asyncio.run(main())


def test_durable_resolves_only_after_commit(store, reader):
    async def main():
        wb = WriteBehind(store)
        wb.add(Store.create_app, "ap-1", "etl", "")
        fut = wb.durable()
        assert not fut.done()
        await fut
        assert reader.get_app("ap-1") is not None
        await wb.close()

    asyncio.run(main())


def test_durable_with_nothing_queued_is_already_done(store):
    async def main():
        wb = WriteBehind(store)
        assert wb.durable().done() and wb.settled().done()
        await wb.close()

    asyncio.run(main())


def test_run_gives_the_result_once_committed_or_the_error(store, reader):
    async def main():
        wb = WriteBehind(store)
        assert await wb.run(Store.create_app, "ap-1", "etl", "", deploy=True) == 1
        assert reader.get_app("ap-1") is not None
        with pytest.raises(RuntimeError, match="disk on fire"):
            await wb.run(broken)
        await wb.close()

    asyncio.run(main())


def test_an_error_of_run_is_its_own_not_that_of_durable(store):
    async def main():
        wb = WriteBehind(store)
        failed = wb.run(broken)
        wb.add(Store.create_app, "ap-1", "etl", "")
        await wb.durable()
        with pytest.raises(RuntimeError):
            await failed
        await wb.close()

    asyncio.run(main())


def test_error_from_an_op_reaches_the_durable_waiter(store):
    async def main():
        wb = WriteBehind(store)
        wb.add(broken)
        with pytest.raises(RuntimeError, match="disk on fire"):
            await wb.durable()
        await wb.settled()   # settled() does not fail
        await wb.close()

    asyncio.run(main())


def test_a_failing_op_does_not_take_the_rest_of_the_batch_down(store, reader):
    async def main():
        wb = WriteBehind(store)
        wb.add(Store.create_app, "ap-1", "etl", "")
        wb.add(Store.create_app, "ap-1", "duplicate id", "")   # primary key clash
        wb.add(Store.create_app, "ap-3", "other", "")
        with pytest.raises(sqlite3.IntegrityError):
            await wb.durable()
        assert reader.get_app("ap-1")["name"] == "etl"
        assert reader.get_app("ap-3") is not None
        await wb.close()

    asyncio.run(main())


def test_a_failed_commit_fails_every_write_it_held_and_the_next_ones_commit(store, reader):
    async def main():
        disk = Disk(store)
        disk.broken = True
        wb = WriteBehind(store)
        wb.add(Store.create_app, "ap-1", "etl", "")
        version = wb.run(Store.create_app, "ap-2", "etl", "", deploy=True)
        with pytest.raises(sqlite3.OperationalError, match="disk I/O error"):
            await wb.durable()
        with pytest.raises(sqlite3.OperationalError, match="disk I/O error"):
            await version
        disk.broken = False
        assert await wb.run(Store.create_app, "ap-3", "etl", "", deploy=True) == 1
        assert reader.get_app("ap-1") is None and reader.get_app("ap-2") is None
        await wb.close()

    asyncio.run(main())


def test_error_with_no_waiter_reaches_the_loop_exception_handler(store):
    async def main():
        errors = []
        asyncio.get_running_loop().set_exception_handler(lambda loop, ctx: errors.append(ctx.get("exception")))
        wb = WriteBehind(store)
        wb.add(broken)
        await wb.settled()
        assert [str(e) for e in errors] == ["disk on fire"]
        await wb.close()

    asyncio.run(main())


def test_a_waiter_hears_only_of_the_errors_of_writes_queued_before_it(store):
    async def main():
        errors = []
        asyncio.get_running_loop().set_exception_handler(lambda loop, ctx: errors.append(ctx.get("exception")))
        wb = WriteBehind(store)
        wb.add(Store.create_app, "ap-1", "etl", "")
        before = wb.durable()
        wb.add(broken)
        after = wb.durable()
        await before
        with pytest.raises(RuntimeError):
            await after
        assert errors == []   # told to its waiter: not logged as well
        await wb.close()

    asyncio.run(main())


def test_writes_after_an_error_still_commit(store, reader):
    async def main():
        wb = WriteBehind(store)
        wb.add(Store.create_app, "ap-1", "etl", "")
        wb.add(Store.create_app, "ap-1", "etl", "")
        with pytest.raises(sqlite3.IntegrityError):
            await wb.durable()
        wb.add(Store.create_app, "ap-2", "etl", "")
        await wb.durable()
        assert reader.get_app("ap-2") is not None
        await wb.close()

    asyncio.run(main())


def test_close_commits_what_is_queued_and_refuses_more(store, tmp_path):
    async def main():
        wb = WriteBehind(store)
        for n in range(100):
            wb.add(Store.create_app, f"ap-{n}", "etl", "")
        await wb.close()
        with pytest.raises(RuntimeError, match="the store is closed"):
            wb.add(Store.create_app, "ap-x", "etl", "")

    asyncio.run(main())
    again = SqliteStore(str(tmp_path / "state.db"))
    assert len(again.list_apps()) == 100
    again.close()


def test_the_loop_goes_on_while_a_commit_is_slow(store):
    async def main():
        disk = Disk(store)
        disk.gate.clear()
        wb = WriteBehind(store)
        wb.add(Store.create_app, "ap-1", "etl", "")
        durable = wb.durable()
        await asyncio.get_running_loop().run_in_executor(None, disk.committing.wait)
        for _ in range(10):                   # the loop runs its steps while the commit waits
            await asyncio.sleep(0)
        assert not durable.done()
        disk.gate.set()
        await durable
        await wb.close()

    asyncio.run(main())


def test_a_read_waits_for_the_writes_queued_before_it(store):
    async def main():
        disk = Disk(store)
        wb = WriteBehind(store)
        reads = Reads(wb)
        wb.add(Store.create_app, "ap-1", "etl", "")
        assert (await reads.run(Store.get_app, "ap-1"))["name"] == "etl"
        disk.gate.clear()
        wb.add(Store.create_app, "ap-2", "etl", "")
        await asyncio.get_running_loop().run_in_executor(None, disk.committing.wait)
        read = asyncio.ensure_future(reads.run(Store.get_app, "ap-1"))
        await asyncio.sleep(0.05)
        assert not read.done()                # it waits for ap-2, queued before it
        disk.gate.set()
        assert (await read)["name"] == "etl"
        await reads.close()
        await wb.close()

    asyncio.run(main())


def test_a_database_in_memory_is_read_on_the_writer():
    async def main():
        wb = WriteBehind(SqliteStore(":memory:"))
        reads = Reads(wb)
        wb.add(Store.create_app, "ap-1", "etl", "")
        assert (await reads.run(Store.get_app, "ap-1"))["name"] == "etl"
        await reads.close()
        await wb.close()

    asyncio.run(main())


class Lost(Exception):
    """What a backend raises when its connection to the database is gone (its server restarted)."""


def test_writes_that_failed_on_a_lost_connection_run_again_once_it_is_back(store, reader, monkeypatch):
    attempts, waited, down = [], [], [True]

    def while_down_lost(store, app_id):
        attempts.append(app_id)
        if down[0]:
            raise Lost("server closed the connection unexpectedly")
        Store.create_app(store, app_id, "again", "")

    def wait_for_database(exc, log, what):
        waited.append((str(exc), what))
        down[0] = False

    monkeypatch.setattr(store, "lost", lambda exc: isinstance(exc, Lost))
    monkeypatch.setattr(store, "wait_for_database", wait_for_database)

    async def main():
        wb = WriteBehind(store)
        wb.add(Store.create_app, "ap-1", "kept", "")
        wb.add(while_down_lost, "ap-2")
        await wb.durable()   # no error: the lost write ran again
        await wb.close()

    asyncio.run(main())
    assert waited == [("server closed the connection unexpectedly", "writer")]
    assert attempts == ["ap-2", "ap-2", "ap-2"]   # in the step's transaction, alone, and once it was back
    assert reader.get_app("ap-1") is not None and reader.get_app("ap-2") is not None   # ap-1 written once
