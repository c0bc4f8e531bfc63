"""Raw crun, the floor Leveret's containers are measured beside: prepared bundles (an overlay over
the default image's root, config.json as the worker writes it) run with `crun run` and `crun exec`.

On a hybrid cgroup host crun must not see the v2 hierarchy: ``hide_unified()``, called first by a
bench while it has one thread, hides it from the bench's process once, as `leveret worker` does,
so the floor's commands are crun's alone (not wrapped in `unshare` and a shell each, which would
make the floor slower than crun is)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time


_HIDDEN = [False]


def hide_unified() -> None:
    """Hide the v2 hierarchy from this process (hybrid hosts), before it starts a thread."""
    from leveret.worker.runtime.oci import hide_unified_hierarchy

    _HIDDEN[0] = hide_unified_hierarchy()


@contextlib.contextmanager
def bundles(n: int, argv: list[str]):
    """``n`` prepared bundles running ``argv``; yields (runtime, [(container id, bundle dir)])."""
    from leveret.worker.images.base import default_rootfs
    from leveret.worker.runtime import cgroups
    from leveret.worker.runtime.base import ContainerSpec
    from leveret.worker.runtime.oci import CrunRuntime
    from leveret.worker.runtime.ociconfig import oci_config

    work = tempfile.mkdtemp(prefix="lv-floor-")
    runtime = CrunRuntime(work, unified_hidden=_HIDDEN[0])
    lower = default_rootfs()
    made = []
    try:
        for i in range(n):
            bundle = os.path.join(work, f"b{i}")
            dirs = [os.path.join(bundle, d) for d in ("rootfs", "upper", "work")]
            for d in dirs:
                os.makedirs(d)
            subprocess.run(["mount", "-t", "overlay", "overlay", "-o",
                            f"lowerdir={lower},upperdir={dirs[1]},workdir={dirs[2]}", dirs[0]], check=True)
            made.append((f"floor-{i}", bundle))
            spec = ContainerSpec(f"floor-{i}", list(argv), {}, "/")
            with open(os.path.join(bundle, "config.json"), "w") as f:
                json.dump(oci_config(spec, [], f"/leveret-floor/c{i}"), f)
        yield runtime, made
    finally:
        for container_id, bundle in made:
            subprocess.run(runtime.command("delete", "--force", container_id), capture_output=True)
            subprocess.run(["umount", os.path.join(bundle, "rootfs")], capture_output=True)
            cgroups.remove(f"/leveret-floor/c{container_id.rsplit('-', 1)[1]}")
        cgroups.remove("/leveret-floor")
        shutil.rmtree(work, ignore_errors=True)


def run_ms(runtime, container_id: str, bundle: str, *, first_line: bool = False) -> float:
    """Milliseconds of one `crun run` (to its end; ``first_line``: to its first line of output)."""
    t = time.perf_counter()
    proc = subprocess.Popen(runtime.command("run", "--bundle", bundle, container_id), stdout=subprocess.PIPE)
    if first_line:
        proc.stdout.readline()
        took = (time.perf_counter() - t) * 1000
        proc.wait()
        return took
    proc.wait()
    return (time.perf_counter() - t) * 1000


def floor(samples: int, argv: list[str], *, first_line: bool = False) -> list[float]:
    """Milliseconds of `crun run` of a prepared bundle running ``argv``, one after another."""
    with bundles(samples, argv) as (runtime, made):
        return [run_ms(runtime, cid, bundle, first_line=first_line) for cid, bundle in made]
