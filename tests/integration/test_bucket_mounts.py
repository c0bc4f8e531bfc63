"""CloudBucketMount through a real server and worker without isolation (the process runtime): its
containers are refused with the reason, a named secret without credentials is refused before anything
starts, and a definition carrying a bucket's credentials is refused
(tests/container/test_crun_buckets.py mounts buckets in crun containers)."""

import grpc
import pytest

import leveret
from apps import bucket_user


def test_the_process_runtime_refuses_bucket_mounts_with_the_reason(cluster):
    with bucket_user.app.run(show_logs=False):
        with pytest.raises(leveret.exception.ExecutionError,
                           match="without isolation .process runtime. and cannot mount cloud buckets"):
            bucket_user.read_public.remote("open.txt")


def square(x):
    return x * x


def test_a_named_secret_without_credentials_is_refused_before_anything_starts(cluster):
    leveret.Secret.objects.create("bucket-without-keys", {"TOKEN": "x"}, allow_existing=True)
    leveret.Secret.objects.create("bucket-keys", {"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"},
                                  allow_existing=True)
    good = leveret.App("bucket-named-secret")
    good.function(volumes={"/b": leveret.CloudBucketMount("b", secret=leveret.Secret.from_name("bucket-keys"))})(square)
    with good.run(show_logs=False):
        pass
    bad = leveret.App("bucket-named-secret")
    bad.function(volumes={"/b": leveret.CloudBucketMount(
        "b", secret=leveret.Secret.from_name("bucket-without-keys"))})(square)
    with pytest.raises(leveret.exception.InvalidError, match="has no AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"):
        with bad.run(show_logs=False):
            pass


def test_a_definition_carrying_a_buckets_credentials_is_refused(cluster):
    from leveret._shared.aio import run_sync
    from leveret._wire import api_pb2 as pb
    from leveret._wire.channel import open_channel

    async def create() -> None:
        channel, stub = open_channel(cluster.url, cluster.token)
        try:
            await stub.FunctionCreate(pb.FunctionCreateRequest(app_id="ap-x", definition=pb.FunctionDefinition(
                name="f", bucket_mounts=[pb.BucketMount(path="/b", bucket_name="b", secret_env={"K": "v"})])))
        finally:
            await channel.close()

    with pytest.raises(grpc.aio.AioRpcError, match="never their values") as info:
        run_sync(create())
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
