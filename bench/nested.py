"""Calls made from inside a container beside the same calls made from the client, in one run.

    python bench/nested.py [--calls 300] [--map 10000] [--rounds 3]

Prints JSON: p50 of a warm ``.remote()`` made from inside a container and from the client, and
the time of a ``.map`` of N inputs from each, with their ratios against the target (nested at
most 1.5× the client's figure). Rounds alternate the two, so a busy machine weighs on both.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from _peers import percentile  # noqa: E402

TARGET = 1.5


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--map", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    home = tempfile.mkdtemp(prefix="leveret-bench-")
    os.environ["LEVERET_HOME"] = home
    from leveret import _daemon

    rounds = []
    try:
        _daemon.ensure_running()
        from _nested_app import app, map_from_inside, map_seconds, remote_from_inside, remote_latencies, trivial

        with app.run(show_logs=False):
            for _ in range(args.rounds):
                client = percentile(remote_latencies(trivial, args.calls), 50)
                nested = percentile(remote_from_inside.remote(args.calls), 50)
                client_map_s = map_seconds(trivial, args.map)
                nested_map_s = map_from_inside.remote(args.map)
                rounds.append({"remote_p50_ms": {"client": client, "nested": nested, "ratio": nested / client},
                               "map_s": {"client": client_map_s, "nested": nested_map_s,
                                         "ratio": nested_map_s / client_map_s}})
    finally:
        _daemon.stop()
        shutil.rmtree(home, ignore_errors=True)
    remote_ratio = sorted(r["remote_p50_ms"]["ratio"] for r in rounds)[len(rounds) // 2]
    map_ratio = sorted(r["map_s"]["ratio"] for r in rounds)[len(rounds) // 2]
    print(json.dumps({
        "calls": args.calls, "map_n": args.map, "rounds": rounds,
        "targets": {
            "nested_remote_p50_vs_client": {"ratio": remote_ratio, "target": f"<= {TARGET}", "met": remote_ratio <= TARGET},
            "nested_map_time_vs_client": {"ratio": map_ratio, "target": f"<= {TARGET}", "met": map_ratio <= TARGET},
        },
    }, indent=2))


if __name__ == "__main__":
    main()
