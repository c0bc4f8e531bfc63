"""A fake NVML for tests on hosts without GPUs: answers as pynvml does for the calls the worker
makes (worker/gpus.py), from an inventory the test writes.

    FakeNvml([{"model": "NVIDIA H100 80GB HBM3", "memory_mb": 81559}, {"model": ..., "mig": True}])

Each GPU: model, memory_mb, and optionally uuid, minor (its index by default), mig, utilization
(0-100), memory_used_mb, power_w (None: not supported), processes ({pid: bytes}).
"""

from __future__ import annotations

import types

NVML_ERROR_NOT_SUPPORTED = 3
NVML_ERROR_INVALID_ARGUMENT = 2


class NVMLError(Exception):
    def __init__(self, value: int):
        super().__init__(value)
        self.value = value


class FakeNvml:
    NVMLError = NVMLError

    def __init__(self, gpus: list[dict], driver: str = "550.54.15", cuda: int = 12040):
        self.gpus = [dict(g) for g in gpus]
        for i, g in enumerate(self.gpus):
            g.setdefault("uuid", f"GPU-{i:08d}-fake-{g['model'].split()[-1].lower()}")
            g.setdefault("minor", i)
        self.driver, self.cuda = driver, cuda

    def _gpu(self, handle: int) -> dict:
        if not isinstance(handle, int) or not 0 <= handle < len(self.gpus):
            raise NVMLError(NVML_ERROR_INVALID_ARGUMENT)
        return self.gpus[handle]

    def nvmlDeviceGetCount(self) -> int:
        return len(self.gpus)

    def nvmlDeviceGetHandleByIndex(self, index: int) -> int:
        self._gpu(index)
        return index

    def nvmlDeviceGetName(self, h: int) -> str:
        return self._gpu(h)["model"]

    def nvmlDeviceGetUUID(self, h: int) -> str:
        return self._gpu(h)["uuid"]

    def nvmlDeviceGetMinorNumber(self, h: int) -> int:
        return self._gpu(h)["minor"]

    def nvmlDeviceGetMemoryInfo(self, h: int):
        g = self._gpu(h)
        used = g.get("memory_used_mb", 0) * 2 ** 20
        return types.SimpleNamespace(total=g["memory_mb"] * 2 ** 20, used=used, free=g["memory_mb"] * 2 ** 20 - used)

    def nvmlDeviceGetMigMode(self, h: int) -> list[int]:
        g = self._gpu(h)
        if "mig" not in g:
            raise NVMLError(NVML_ERROR_NOT_SUPPORTED)
        return [int(g["mig"]), int(g["mig"])]

    def nvmlDeviceGetUtilizationRates(self, h: int):
        return types.SimpleNamespace(gpu=self._gpu(h).get("utilization", 0), memory=0)

    def nvmlDeviceGetPowerUsage(self, h: int) -> int:
        power = self._gpu(h).get("power_w", 70.0)
        if power is None:
            raise NVMLError(NVML_ERROR_NOT_SUPPORTED)
        return int(power * 1000)   # milliwatts, as NVML says

    def nvmlDeviceGetComputeRunningProcesses(self, h: int) -> list:
        return [types.SimpleNamespace(pid=pid, usedGpuMemory=used)
                for pid, used in self._gpu(h).get("processes", {}).items()]

    def nvmlSystemGetDriverVersion(self) -> str:
        return self.driver

    def nvmlSystemGetCudaDriverVersion(self) -> int:
        return self.cuda
