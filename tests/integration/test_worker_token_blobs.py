"""A worker that joined with its own token reads the blobs of the inputs sent to it, and no other."""

import os

import grpc
import pytest

from apps import payloads as p
from leveret._shared.aio import run_sync
from leveret._wire import blobs
from leveret._wire.channel import open_channel
from leveret.testing import Cluster

MiB = 1024 * 1024


def test_a_worker_with_its_own_token_reads_only_the_blobs_of_its_inputs(tmp_path):
    with Cluster(tmp_path, start_worker=False) as cluster:
        _, worker_token = run_sync(cluster.server.tokens.create("host-a"))
        cluster.add_worker(worker_token)
        with p.app.run(show_logs=False):
            assert p.echo.remote(b"w" * (3 * MiB)) == b"w" * (3 * MiB)   # its args read, its result stored

            async def read_as_worker(blob_id: str):
                channel, stub = open_channel(cluster.url, worker_token)
                try:
                    return [c async for c in blobs.chunks(stub, blob_id)]
                finally:
                    await channel.close()

            any_blob = next(f for _, _, files in os.walk(cluster.dispatcher.blobs.dir) for f in files)
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                run_sync(read_as_worker(any_blob))
            assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
