"""Calls made from inside containers (`.remote`, `.spawn`, `FunctionCall.get`/`.cancel`,
`Function.from_name`) through the worker, with the container's token: a real server, worker and
container processes (the process runtime; tests/container/ runs them in crun)."""

import grpc
import pytest

import leveret
from leveret._wire import api_pb2 as pb
from leveret._wire.channel import open_channel
from leveret._shared.aio import run_sync
from leveret.server.store import Store
from apps import nested, nested_target


@pytest.fixture(scope="module")
def running(cluster):
    deployed = nested_target.app.deploy()
    try:
        with nested.app.run(show_logs=False):
            yield nested
    finally:
        cluster.stop_app(deployed.app_id)   # the session's cluster: others expect no app left running


def test_a_function_calls_another_of_its_app_with_remote(running):
    assert running.remote_sum.remote(10) == sum(range(1, 11))


def test_spawned_calls_are_waited_for_from_inside(running):
    assert running.fan_out.remote(8) == list(range(1, 9))


def test_a_nested_call_can_make_nested_calls(running):
    assert running.two_levels.remote(5) == sum(range(1, 6)) + 101


def test_an_async_function_calls_with_aio(running):
    assert running.async_caller.remote(4) == 10


def test_the_exception_of_a_nested_call_is_raised_inside_the_caller(running):
    assert running.catches.remote(7) == "caught Boom: boom 7"


def test_get_with_a_timeout_raises_the_builtin_timeout_error_inside(running):
    assert running.get_with_timeout.remote(30) == "timed out"


def test_a_deployed_function_is_called_by_name_from_inside(running):
    assert running.by_name.remote("nested-target", "triple", 5) == 15


def test_a_missing_function_is_not_found_naming_the_fix(running):
    said = running.error_of.remote("no-such-app", "f")
    assert said.startswith("NotFoundError: no deployed app named 'no-such-app'"), said


def test_a_function_of_another_running_app_is_out_of_reach(running, cluster):
    other = leveret.App("other-ephemeral")

    @other.function(serialized=True)
    def secret(x):
        return x

    with other.run(show_logs=False):
        said = running.call_by_id.remote(secret.object_id)
        assert said.startswith("AuthError: function fu-") and "another app, which is not deployed" in said, said
        assert secret.remote(2) == 2   # it still runs for its own client


# ---------------------------------------------------------------------- the container's token


def _token_of_a_running_container(cluster) -> tuple[str, str]:
    assert nested.leaf.remote(0) == 1   # leaf has a container (idle for its scaledown window)
    [ct] = [c for c in cluster.containers("nested") if c.function_name == "leaf" and c.state == "ready"][:1]
    return ct.container_id, cluster.server.tokens.container_token(ct.container_id)


def test_a_containers_token_is_refused_on_every_rpc_but_its_calls(running, cluster):
    """Every other RPC (apps, logs, workers, tokens, containers, mounts, objects …) says PERMISSION_DENIED."""
    _, token = _token_of_a_running_container(cluster)
    allowed = {"FunctionLookup", "FunctionBind", "FunctionRemote", "FunctionMap", "FunctionSpawn", "FunctionCallGet",
               "FunctionCallCancel", "FunctionCallGraph", "BlobPut", "BlobGet",
               "ObjectGetOrCreate", "ObjectList", "DictUpdate", "DictGet", "DictLen", "DictContents",
               "QueuePut", "QueueGet", "QueueLen", "QueueClear", "QueueNextItems",
               "VolumeChunksMissing", "VolumeChunkPut", "VolumeChunkGet", "VolumeCommit", "VolumeList", "VolumeGetFile",
               "VolumeChanges", "VolumeCopy", "TunnelOpen", "TunnelClose",
               "TokenFlowCreate", "TokenFlowWait"}   # (these two are open to anyone: `leveret token new` has no token)
    methods = pb.DESCRIPTOR.services_by_name["Leveret"].methods
    assert allowed < {m.name for m in methods}

    async def check():
        channel, stub = open_channel(cluster.url, token)
        refused = {}
        try:
            for m in methods:
                if m.name in allowed:
                    continue
                request = getattr(pb, m.input_type.name)()
                # a client stream sends nothing: a write racing the server's refusal can turn its status
                # into INTERNAL on the client (grpcio's asyncio client, grpc/grpc#36066)
                call = getattr(stub, m.name)(iter([]) if m.client_streaming else request)
                try:
                    await (call.read() if m.server_streaming else call)
                except grpc.aio.AioRpcError as err:
                    refused[m.name] = (err.code(), err.details())
        finally:
            await channel.close()
        return refused

    refused = run_sync(check())
    assert set(refused) == {m.name for m in methods} - allowed
    for name, (code, details) in refused.items():
        assert code == grpc.StatusCode.PERMISSION_DENIED, (name, code, details)
        assert "a container's token only calls functions" in details


def test_a_containers_token_reaches_its_apps_functions_and_deployed_ones_only(running, cluster):
    _, token = _token_of_a_running_container(cluster)
    other = leveret.App("other-ephemeral-2")

    @other.function(serialized=True)
    def f(x):
        return x

    async def lookups(other_id):
        channel, stub = open_channel(cluster.url, token)
        try:
            own = await stub.FunctionLookup(pb.FunctionLookupRequest(function_name="leaf"))
            deployed = await stub.FunctionLookup(pb.FunctionLookupRequest(app_name="nested-target",
                                                                         function_name="triple"))
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await stub.FunctionSpawn(pb.FunctionSpawnRequest(function_id=other_id, input=pb.Input(args=b"")))
            return own.function_id, deployed.function_id, refused.value
        finally:
            await channel.close()

    with other.run(show_logs=False):
        own, deployed, refused = run_sync(lookups(f.object_id))
    assert own == running.leaf.object_id and deployed.startswith("fu-")
    assert refused.code() == grpc.StatusCode.PERMISSION_DENIED and "another app" in refused.details()


def _lookup_with(cluster, token: str) -> grpc.aio.AioRpcError:
    """The error of a FunctionLookup made with ``token``."""
    async def lookup():
        channel, stub = open_channel(cluster.url, token)
        try:
            await stub.FunctionLookup(pb.FunctionLookupRequest(function_name="leaf"))
        finally:
            await channel.close()

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        run_sync(lookup())
    return refused.value


def test_the_token_of_a_container_that_has_ended_is_refused(running, cluster):
    refused = _lookup_with(cluster, cluster.server.tokens.container_token("ct-0000000000000000"))
    assert refused.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "has ended: its token no longer makes calls" in refused.details()


def test_a_forged_container_token_is_unauthenticated(running, cluster):
    _, token = _token_of_a_running_container(cluster)
    refused = _lookup_with(cluster, token[:-1] + ("0" if token[-1] != "0" else "1"))
    assert refused.code() == grpc.StatusCode.UNAUTHENTICATED


# ---------------------------------------------------------------------- cancellation follows the calls


def _cancelled(stats: dict) -> int:
    return stats["outputs_by_status"].get("cancelled", 0)


@pytest.mark.parametrize("parent", ["waits_on_child", "waits_on_remote"])
def test_cancelling_a_call_cancels_the_calls_its_code_made_from_inside(running, cluster, parent):
    slow_id = running.slow.object_id
    cluster.wait_for(lambda d: cluster.function("nested", "slow").running == 0)   # the last one's child stopped
    before = _cancelled(cluster.stored(Store.function_stats, slow_id))
    call = getattr(running, parent).spawn(3)   # its child is interrupted with it (test_cancel_running.py)
    cluster.wait_for(lambda d: cluster.function("nested", "slow").running > 0)
    call.cancel()
    cluster.wait_stored(lambda stats: _cancelled(stats) == before + 1, Store.function_stats, slow_id)
    with pytest.raises(leveret.exception.InputCancellation):
        call.get(timeout=5)


def test_a_function_with_one_slot_calling_itself_is_refused_not_left_waiting(running):
    said = running.calls_itself.remote(1)
    assert said.startswith("refused: calls_itself calls itself from inside its container, and all 1 of its slot(s)")
    assert "Raise max_containers" in said


def test_a_function_calls_itself_while_it_has_free_slots(running):
    assert running.recurses.remote(1) == 1
    with pytest.raises(leveret.exception.InvalidError, match="all 2 of its slot"):
        running.recurses.remote(2)


# ---------------------------------------------------------------------- maps from inside


def test_a_map_from_inside_a_container(running):
    assert running.square_sum.remote(50) == sum(i * i for i in range(50))


def test_three_levels_of_fan_out_return_the_right_sums(running):
    expected = sum(sum(i * i for i in range(n)) for n in range(12))
    assert running.tree.remote(12) == expected


def test_starmap_and_a_zipped_map_from_inside(running):
    assert running.starmapped.remote([(1, 2), (3, 4)]) == [3, 7, 11, 22]


def test_remote_gen_from_inside(running):
    assert running.gathers_generator.remote(4) == [4, 3, 2, 1]


def test_map_exceptions_are_returned_inside_when_asked(running):
    assert running.map_with_failures.remote(4) == [0, "Boom('odd 1')", 2, "Boom('odd 3')"]


def test_for_each_from_inside(running):
    assert running.for_each_then_count.remote(20) == 20


def test_a_large_map_from_inside(running):
    assert running.big_map.remote(5000) == sum(range(1, 5001))


def test_arguments_and_results_over_the_inline_limit_travel_as_blobs_from_inside(running):
    n = 3 * 1024 * 1024
    assert running.large_both_ways.remote(n) == (n, n, n, b"xxx", [n, 1])


# ---------------------------------------------------------------------- what a container knows, gather


def test_a_container_knows_its_input_and_its_call(running):
    assert leveret.is_local() and leveret.current_input_id() is None and leveret.current_function_call_id() is None
    call = running.whereami.spawn()
    local, input_id, call_id = call.get()
    assert local is False and input_id.startswith("in-") and call_id == call.object_id


def test_gather_waits_for_spawned_calls_in_order(running):
    calls = [running.leaf.spawn(i) for i in range(5)]
    assert leveret.FunctionCall.gather(*calls) == [1, 2, 3, 4, 5]
    assert running.gathers.remote(4) == [1, 2, 3, 4]


def test_gather_raises_the_first_failure(running):
    with pytest.raises(nested.Boom):
        leveret.functions.gather(running.leaf.spawn(1), running.fails.spawn(2))
