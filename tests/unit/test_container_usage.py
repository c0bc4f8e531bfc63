"""Reading a container's CPU time and memory: from cgroup files (v1 and v2 layouts, laid out in a
temporary directory) and, for the process runtime, from /proc."""

import asyncio
import sys

from leveret.worker.runtime import ContainerSpec
from leveret.worker.runtime.cgroups import UsageReader
from leveret.worker.runtime.process import ProcessRuntime


def mountinfo(*mounts: tuple[str, str]) -> str:
    return "".join(f"3{i} 23 0:2{i} / {point} rw,relatime - {fstype} {fstype} rw\n" for i, (point, fstype) in enumerate(mounts))


def write(path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_v1_reads_cpuacct_usage_and_memory_usage_in_bytes(tmp_path):
    cpu, memory = tmp_path / "cpu,cpuacct", tmp_path / "memory"
    reader = UsageReader(mountinfo((str(cpu), "cgroup"), (str(memory), "cgroup"), (str(tmp_path / "unified"), "cgroup2")))
    write(cpu / "leveret/ct-1/cpuacct.usage", "2500000000\n")
    write(memory / "leveret/ct-1/memory.usage_in_bytes", "1048576\n")
    assert reader.cpu_seconds("/leveret/ct-1") == 2.5
    assert reader.memory_bytes("/leveret/ct-1") == 1048576
    assert reader.cpu_seconds("/leveret/ct-gone") is None and reader.memory_bytes("/leveret/ct-gone") is None


def test_v2_reads_cpu_stat_and_memory_current(tmp_path):
    reader = UsageReader(mountinfo((str(tmp_path), "cgroup2")))
    write(tmp_path / "leveret/ct-1/cpu.stat", "usage_usec 1500000\nuser_usec 1000000\nsystem_usec 500000\n")
    write(tmp_path / "leveret/ct-1/memory.current", "4096\n")
    assert reader.cpu_seconds("/leveret/ct-1") == 1.5
    assert reader.memory_bytes("/leveret/ct-1") == 4096


def test_no_hierarchy_reads_nothing():
    reader = UsageReader("")
    assert reader.cpu_seconds("/leveret/ct-1") is None and reader.memory_bytes("/leveret/ct-1") is None


def test_the_process_runtime_reads_its_main_process_from_proc(tmp_path):
    async def main():
        runtime = ProcessRuntime()
        burn = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3: pass\nprint('done', flush=True)\ntime.sleep(30)"
        handle = await runtime.start(ContainerSpec("ct-1", [sys.executable, "-c", burn], {}, str(tmp_path)))
        try:
            assert await asyncio.wait_for(handle.stdout.readline(), 10) == b"done\n"
            stats = runtime.stats(handle)
            assert stats.cpu_seconds >= 0.25
            assert stats.memory_bytes > 1024 * 1024
        finally:
            await runtime.remove(handle)
            await handle.wait()
        assert runtime.stats(handle) is None   # gone

    asyncio.run(main())
