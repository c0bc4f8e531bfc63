"""A secret's values reach a worker only in the assignment of a container of a function that uses
it: through the real Dispatcher, two workers as their outboxes (what the server tells them)."""

import asyncio

import pytest

from leveret.server.errors import NotFound
from leveret.server.model import FunctionSpec, WorkerInfo
from leveret.server.store import Store
from leveret.testing import FakeClock
from _server import dispatcher
from test_dispatcher_rules import told


def test_only_the_worker_of_a_container_using_a_secret_gets_its_values(tmp_path):
    async def main():
        d = dispatcher(clock=FakeClock(1_800_000_000.0), secret_key_dir=str(tmp_path))
        with_secret, without = asyncio.Queue(), asyncio.Queue()
        d.registry.add(WorkerInfo(hostname="a", cpu=4, memory_mb=8192, max_containers=8, labels={"host": "a"}), with_secret)
        d.registry.add(WorkerInfo(hostname="b", cpu=4, memory_mb=8192, max_containers=8, labels={"host": "b"}), without)
        secret_id, keys = await d.writes.run(d.secrets.create, "api", "main", {"API_KEY": "s3cr3t"})
        assert keys == ["API_KEY"]
        app_id, _ = await d.create_app("a", "")
        await d.reads.run(d.secrets.load, [secret_id])
        uses = d.create_function(app_id, FunctionSpec(name="uses", secret_ids=(secret_id,), selector=(("host", "a"),)))
        plain = d.create_function(app_id, FunctionSpec(name="plain", selector=(("host", "b"),)))
        d.new_call(uses, "spawn", [(0, b"x", "")], 1)
        d.new_call(plain, "spawn", [(0, b"x", "")], 1)
        (start,) = told(with_secret, "start")
        assert dict(start.definition.secret_env) == {"API_KEY": "s3cr3t"}
        (other,) = told(without, "start")
        assert other.function_id == plain and not other.definition.secret_env
        await d.writes.durable()
        for _, _, definition in await d.reads.run(Store.functions_of, app_id):
            assert b"s3cr3t" not in definition   # the stored definition names the secret only
        with pytest.raises(NotFound, match="secret st-nope is gone"):
            await d.reads.run(d.secrets.load, ["st-nope"])
        await d.close_store()

    asyncio.run(main())
