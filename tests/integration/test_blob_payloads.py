"""Arguments and results over the inline limit (2 MiB) travel as blobs beside the calls, streamed in
chunks, in every kind of call; above the payload limit a clear error names it and the fix."""

import os

import pytest

import leveret
from apps import payloads as p
from leveret._shared.payloads import INLINE_LIMIT
from leveret._wire import blobs
from leveret.testing import Cluster

MiB = 1024 * 1024


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    with Cluster(tmp_path_factory.mktemp("payloads")) as c:
        with p.app.run(show_logs=False):
            yield c


def blob_files(cluster):
    root = cluster.dispatcher.blobs.dir
    return [f for _, _, files in os.walk(root) for f in files if f.startswith("bl-")]


def test_a_large_argument_and_result_make_the_round_trip(running):
    data = os.urandom(5 * MiB)
    before = len(blob_files(running))
    assert p.echo.remote(data) == data
    assert len(blob_files(running)) == before + 2   # the argument's blob and the result's


def test_small_payloads_stay_inline(running):
    before = len(blob_files(running))
    assert p.echo.remote(b"x" * (INLINE_LIMIT - 1024)) == b"x" * (INLINE_LIMIT - 1024)
    assert len(blob_files(running)) == before


def test_a_300_mb_argument(running):
    assert p.size.remote(b"\0" * (300 * MiB)) == 300 * MiB


def test_large_payloads_in_a_map_a_spawn_and_a_generator(running):
    assert list(p.make.map([3 * MiB, 10, 4 * MiB], [1, 2, 3])) == [b"\1" * (3 * MiB), b"\2" * 10, b"\3" * (4 * MiB)]
    assert p.make.spawn(6 * MiB).get() == b"x" * (6 * MiB)
    assert list(p.chunks.remote_gen(3 * MiB, 3)) == [bytes([i]) * (3 * MiB) for i in range(3)]
    big = [os.urandom(3 * MiB) for _ in range(3)]
    assert list(p.size.map(big)) == [3 * MiB] * 3


def test_a_value_plain_pickle_cannot_finish_streams_again_with_cloudpickle(running):
    big, fn = p.unpicklable_big.remote(3 * MiB)
    assert big == b"x" * (3 * MiB) and fn() == big


def test_over_the_payload_limit_the_error_names_it_and_the_fix(running, monkeypatch):
    monkeypatch.setattr(blobs, "MAX_PAYLOAD", 4 * MiB)
    with pytest.raises(leveret.InvalidError, match=r"5 MiB pickled, over the 4 MiB limit .* pass large data through a file"):
        p.size.remote(b"x" * (5 * MiB))

