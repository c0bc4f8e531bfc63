import asyncio
import sqlite3

import pytest

from leveret.server.writes import WriteBehind


@pytest.fixture
def begins(store):
    """The BEGIN statements the store runs, i.e. its transactions."""
    statements = []
    store.db.set_trace_callback(statements.append)
    return lambda: [s for s in statements if s.strip().upper().startswith("BEGIN")]


def test_writes_of_one_step_commit_together_after_the_step(store, reader, begins):
    async def main():
        wb = WriteBehind(store)
        wb.add(store.create_app, "ap-1", "etl", "")
        wb.add(store.create_call, "fc-1", "fu-1", "remote", 1, [("in-1", 0, b"x")])   # nests a transaction
        wb.add(store.add_outputs, [("in-1", "fc-1", 0, 0, 1, b"r", 0, "", "ct-1")])
        assert reader.get_app("ap-1") is None     # nothing written during the step
        assert begins() == []
        await asyncio.sleep(0)                    # let the loop run the step's callbacks
        assert begins() == ["BEGIN"]
        assert reader.get_app("ap-1") is not None
        assert reader.get_call("fc-1") is not None
        assert len(reader.get_outputs("fc-1", 0)) == 1

    asyncio.run(main())


def test_writes_of_separate_steps_commit_separately(store, begins):
    async def main():
        wb = WriteBehind(store)
        wb.add(store.create_app, "ap-1", "etl", "")
        await wb.durable()
        wb.add(store.create_app, "ap-2", "etl", "")
        await wb.durable()
        assert len(begins()) == 2

    asyncio.run(main())


def test_durable_resolves_only_after_commit(store, reader):
    async def main():
        wb = WriteBehind(store)
        wb.add(store.create_app, "ap-1", "etl", "")
        fut = wb.durable()
        assert not fut.done()
        await fut
        assert reader.get_app("ap-1") is not None

    asyncio.run(main())


def test_durable_with_nothing_queued_is_already_done(store):
    async def main():
        wb = WriteBehind(store)
        assert wb.durable().done()

    asyncio.run(main())


def test_error_from_an_op_reaches_the_durable_waiter(store):
    async def main():
        wb = WriteBehind(store)

        def broken():
            raise RuntimeError("disk on fire")

        wb.add(broken)
        with pytest.raises(RuntimeError, match="disk on fire"):
            await wb.durable()

    asyncio.run(main())


def test_a_failing_op_does_not_take_the_rest_of_the_batch_down(store, reader):
    async def main():
        wb = WriteBehind(store)
        wb.add(store.create_app, "ap-1", "etl", "")
        wb.add(store.create_app, "ap-1", "duplicate id", "")   # primary key clash
        wb.add(store.create_app, "ap-3", "other", "")
        with pytest.raises(sqlite3.IntegrityError):
            await wb.durable()
        assert reader.get_app("ap-1")["name"] == "etl"
        assert reader.get_app("ap-3") is not None

    asyncio.run(main())


def test_error_with_no_waiter_reaches_the_loop_exception_handler(store):
    async def main():
        errors = []
        asyncio.get_running_loop().set_exception_handler(lambda loop, ctx: errors.append(ctx.get("exception")))
        wb = WriteBehind(store)

        def broken():
            raise RuntimeError("disk on fire")

        wb.add(broken)
        await asyncio.sleep(0)
        assert [str(e) for e in errors] == ["disk on fire"]

    asyncio.run(main())


def test_writes_after_an_error_still_commit(store, reader):
    async def main():
        wb = WriteBehind(store)
        wb.add(store.create_app, "ap-1", "etl", "")
        wb.add(store.create_app, "ap-1", "etl", "")
        with pytest.raises(sqlite3.IntegrityError):
            await wb.durable()
        wb.add(store.create_app, "ap-2", "etl", "")
        await wb.durable()
        assert reader.get_app("ap-2") is not None

    asyncio.run(main())
