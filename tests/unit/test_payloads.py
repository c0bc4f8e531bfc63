"""Payloads over the inline limit: the bootstrap's side (PayloadWriter, Spool), the server's blob
files (BlobStore) and their rows in the store."""

import asyncio
import os
import pickle

import pytest

from leveret._shared import payloads as blobs
from leveret.container import serialization as bs
from leveret.container import protocol as P
from leveret.server.blobs import ORPHAN_AFTER_S, BlobStore, BlobTooLarge
from leveret.server.errors import NotFound
from leveret.server.reads import Reads
from leveret.server.store import SqliteStore, Store
from leveret.server.writes import WriteBehind

MiB = 1 << 20


class Frames:
    """A channel that keeps what is sent."""

    def __init__(self):
        self.sent = []

    def send(self, msg):
        self.sent.append(msg)


def test_the_bootstrap_and_the_wire_agree_on_the_limits():
    assert (P.INLINE_LIMIT, P.MAX_PAYLOAD, P.CHUNK_BYTES) == (blobs.INLINE_LIMIT, blobs.MAX_PAYLOAD, blobs.CHUNK_BYTES)


def test_a_small_result_stays_in_memory_and_a_large_one_streams_in_chunks():
    small = Frames()
    w = bs.PayloadWriter(small, "in-1")
    bs.Codec.dump(b"x" * 1000, w)
    assert small.sent == [] and pickle.loads(w.result()) == b"x" * 1000

    big = Frames()
    w = bs.PayloadWriter(big, "in-2")
    value = os.urandom(5 * MiB)
    bs.Codec.dump(value, w)
    assert w.result() is None
    assert {(type(f), f.input_id) for f in big.sent} == {(P.Blob, "in-2")}
    assert max(len(f.data) for f in big.sent) <= P.CHUNK_BYTES
    assert pickle.loads(b"".join(f.data for f in big.sent)) == value


def test_a_value_plain_pickle_fails_on_part_way_is_aborted_and_streamed_again():
    frames = Frames()
    w = bs.PayloadWriter(frames, "in-1")
    value = [b"y" * (3 * MiB), lambda: 1]
    bs.Codec.dump(value, w)
    kinds = [type(f) for f in frames.sent]
    aborted = kinds.index(P.BlobAbort)
    assert aborted > 0 and P.Blob in kinds[aborted + 1:]   # the first try's chunks, dropped, then cloudpickle's
    again = b"".join(f.data for f in frames.sent[aborted + 1:])
    loaded = pickle.loads(again)
    assert loaded[0] == value[0] and loaded[1]() == 1


def test_a_result_over_the_limit_raises_saying_so(monkeypatch):
    monkeypatch.setattr(P, "MAX_PAYLOAD", 3 * MiB)
    with pytest.raises(bs.PayloadTooLarge, match="the result is over the 3 MiB limit on a call's payload"):
        bs.Codec.dump(b"z" * (4 * MiB), bs.PayloadWriter(Frames(), "in-1"))


def test_large_arguments_spool_to_disk_and_load_from_there():
    spool = bs.Spool()
    data = pickle.dumps(((b"a" * (3 * MiB),), {"k": 1}))
    for i in range(0, len(data), P.CHUNK_BYTES):
        spool.add(data[i:i + P.CHUNK_BYTES])
    assert spool.file._rolled   # past the inline limit: on disk
    assert bs.load_args(spool) == ((b"a" * (3 * MiB),), {"k": 1})
    assert bs.load_args(pickle.dumps(((1,), {}))) == ((1,), {})


@pytest.fixture
def blob_store(tmp_path):
    """Blobs over a store whose writer and reader each test closes (``close``)."""
    writes = WriteBehind(SqliteStore(str(tmp_path / "state.db")))
    return BlobStore(str(tmp_path / "blobs"), writes, Reads(writes))


async def close(blob_store) -> None:
    await blob_store.reads.close()
    await blob_store.writes.close()


async def chunks_of(data: bytes):
    for i in range(0, len(data), MiB):
        yield data[i:i + MiB]


async def read_all(blob_store, blob_id):
    return b"".join([c async for c in blob_store.send(blob_id)])


def test_a_blob_is_stored_read_back_and_deleted_with_its_call(blob_store):
    async def main():
        data = os.urandom(3 * MiB + 5)
        blob_id, size = await blob_store.receive(chunks_of(data), len(data))
        assert size == len(data) and await blob_store.reads.run(Store.blob_size, blob_id) == len(data)
        assert await read_all(blob_store, blob_id) == data
        blob_store.writes.add(Store.attach_blobs, "fc-1", [blob_id])
        await blob_store.delete_of_calls(["fc-1"])
        with pytest.raises(NotFound, match="deleted with its call"):
            await read_all(blob_store, blob_id)
        assert await blob_store.reads.run(Store.blob_size, blob_id) is None
        await close(blob_store)

    asyncio.run(main())


def test_a_blob_over_the_limit_is_refused_and_leaves_nothing(blob_store, monkeypatch):
    import leveret.server.blobs as server_blobs

    monkeypatch.setattr(server_blobs, "MAX_PAYLOAD", 2 * MiB)

    async def main():
        with pytest.raises(BlobTooLarge):
            await blob_store.receive(chunks_of(b"x" * (3 * MiB)))   # no size said: counted as it comes
        with pytest.raises(BlobTooLarge):
            await blob_store.receive(chunks_of(b""), 3 * MiB)        # said: refused before anything is written
        await close(blob_store)

    asyncio.run(main())
    assert [f for _, _, files in os.walk(blob_store.dir) for f in files] == []


def test_a_blob_no_call_took_is_deleted_after_a_while_and_one_a_call_took_is_kept(blob_store):
    async def main():
        kept, _ = await blob_store.receive(chunks_of(b"k" * 10))
        lost, _ = await blob_store.receive(chunks_of(b"l" * 10))
        blob_store.writes.add(Store.attach_blobs, "fc-1", [kept])
        import time

        assert await blob_store.prune_orphans(time.time()) == 0   # too young
        assert await blob_store.prune_orphans(time.time() + ORPHAN_AFTER_S + 1) == 1
        assert await read_all(blob_store, kept) == b"k" * 10
        with pytest.raises(NotFound):
            await read_all(blob_store, lost)
        await close(blob_store)

    asyncio.run(main())
