"""Encoding and decoding the container protocol's hot frames, beside the pickled tuples it replaced.

    python bench/protocol_codec.py [--batch 1000] [--repeat 7]

Prints JSON: microseconds (best of --repeat) to encode and decode a batch of inputs and a batch of
outputs of trivial calls (short ids, pickles of small ints), and of one of each (a `.remote()`), with
the frame sizes. "old" is the earlier protocol: a 4-byte length and a pickle of tuples, read with an
unpickler that refuses globals. "new" encodes the message from its columns and decodes to columns
(what the worker and the bootstrap use); "rows" adds building the columns from row tuples and the
rows from the columns.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import pickle
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src"))

from leveret.container import protocol as P  # noqa: E402

_OLD_HEADER = struct.Struct("!I")


class _DataOnly(pickle.Unpickler):
    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"{module}.{name}: frames carry data only")


def old_encode(msg: tuple) -> bytes:
    body = pickle.dumps(msg, protocol=4)
    return _OLD_HEADER.pack(len(body)) + body


def old_decode(frame: bytes) -> tuple:
    return _DataOnly(io.BytesIO(frame[_OLD_HEADER.size:])).load()


def best_us(fn, repeat: int) -> float:
    """Best time of one call, in microseconds, over ``repeat`` rounds of enough calls for ~20 ms."""
    n, t = 1, 0.0
    while t < 0.02:
        n *= 2
        start = time.perf_counter()
        for _ in range(n):
            fn()
        t = time.perf_counter() - start
    rounds = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        rounds.append((time.perf_counter() - start) / n)
    return round(min(rounds) * 1e6, 2)


def measure(old_msg: tuple, cls, rows: list, rest: tuple, repeat: int) -> dict:
    new_msg = cls.of(rows, *rest)
    old_frame, new_frame = old_encode(old_msg), P.encode(new_msg)
    assert old_decode(old_frame) == old_msg and P.decode_frame(new_frame).rows() == rows
    return {
        "old": {"encode_us": best_us(lambda: old_encode(old_msg), repeat),
                "decode_us": best_us(lambda: old_decode(old_frame), repeat), "bytes": len(old_frame)},
        "new": {"encode_us": best_us(lambda: P.encode(new_msg), repeat),
                "decode_us": best_us(lambda: P.decode_frame(new_frame), repeat), "bytes": len(new_frame)},
        "new_rows": {"encode_us": best_us(lambda: P.encode(cls.of(rows, *rest)), repeat),
                     "decode_us": best_us(lambda: P.decode_frame(new_frame).rows(), repeat)},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    ids = [f"in-{i:016x}" for i in range(args.batch)]
    inputs = [(iid, 0, pickle.dumps(((i,), {}), protocol=4)) for i, iid in enumerate(ids)]
    outputs = [(iid, 0, P.STATUS_SUCCESS, pickle.dumps(i * i, protocol=4), 0, "") for i, iid in enumerate(ids)]
    result = {
        "batch": args.batch,
        "inputs": measure(("inputs", inputs), P.Inputs, inputs, (), args.repeat),
        "outputs": measure(("outputs", outputs, 0.5), P.Outputs, outputs, (0.5,), args.repeat),
        "one_input": measure(("inputs", inputs[:1]), P.Inputs, inputs[:1], (), args.repeat),
        "one_output": measure(("outputs", outputs[:1], 0.5), P.Outputs, outputs[:1], (0.5,), args.repeat),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
