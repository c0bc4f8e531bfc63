"""The GPUs of this host, as the worker offers them to the scheduler, found through NVML.

    discover() ─▶ NVML (nvidia-ml-py's ``pynvml``: the driver's libnvidia-ml, by ctypes)
              ─▶ Inventory: each GPU's index, minor number (/dev/nvidia<minor>), UUID, model, memory,
                 MIG mode; the driver's and CUDA's versions

A host without the driver (or without nvidia-ml-py) has no GPUs, quietly. ``--gpus N --gpu-type T``
on `leveret worker` says what NVML cannot (``Inventory.told``): N GPUs of type T, numbered from 0.
``sample()`` reads what each GPU does now (utilisation, memory used, power, its processes) for
/metrics. Tests hand both a fake NVML (leveret.testing.nvml) instead of pynvml.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

log = logging.getLogger("leveret.worker")

VENDOR_WORDS = {"NVIDIA", "TESLA", "GEFORCE", "QUADRO", "RTX"}


@dataclasses.dataclass(frozen=True)
class Gpu:
    index: int
    minor: int           # its device node: /dev/nvidia<minor>
    uuid: str = ""       # "GPU-…"; "" when told (--gpus), not found
    model: str = ""      # as NVML names it: "NVIDIA H100 80GB HBM3"
    memory_mb: int = 0
    mig: bool = False    # MIG mode on: it is split into instances (not handed out whole yet)

    @property
    def type(self) -> str:
        return short_name(self.model, self.memory_mb)


@dataclasses.dataclass(frozen=True)
class Inventory:
    gpus: tuple[Gpu, ...] = ()
    driver: str = ""     # "550.54.15"
    cuda: str = ""       # the highest CUDA the driver runs: "12.4"
    found: bool = False  # by NVML (else told, or none)
    source: Any = dataclasses.field(default=None, compare=False, repr=False)   # the NVML it was found by

    @property
    def count(self) -> int:
        return len(self.gpus)

    @property
    def type(self) -> str:
        """What functions ask for ("H100"): the first GPU's (a host's GPUs are one model, as a rule)."""
        return self.gpus[0].type if self.gpus else ""

    @classmethod
    def told(cls, count: int, gpu_type: str) -> "Inventory":
        return cls(tuple(Gpu(index=i, minor=i, model=gpu_type.upper()) for i in range(count)))

    def describe(self) -> str:
        if not self.gpus:
            return ""
        memory = f" {self.gpus[0].memory_mb // 1024} GiB" if self.gpus[0].memory_mb else ""
        mig = sum(g.mig for g in self.gpus)
        versions = f", driver {self.driver}, CUDA {self.cuda}" if self.driver else ""
        return (f"{self.count} {self.type or 'GPU'}{memory} GPU(s)" + (f" ({mig} in MIG mode)" if mig else "")
                + versions)


def short_name(name: str, memory_mb: int = 0) -> str:
    """The type functions ask for (_shared/gpus.py), from the model's name and memory:
    "NVIDIA H100 80GB HBM3" -> "H100", an A100 of 80 GB -> "A100-80GB"."""
    if "RTX PRO 6000" in name.upper():
        return "RTX-PRO-6000"
    words = [w for w in name.upper().split() if w not in VENDOR_WORDS]
    short = words[0].split("-")[0] if words else ""
    if short == "A100" and memory_mb:
        return "A100-80GB" if memory_mb > 60 * 1024 else "A100-40GB"
    return short


def load_nvml() -> Any | None:
    """pynvml, initialised; None where this host has no NVIDIA driver (or nvidia-ml-py is missing)."""
    try:
        import pynvml
    except ImportError:
        return None
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError as exc:   # no driver, no library, no device: no GPUs
        log.debug("no GPUs: NVML says %s", exc)
        return None
    return pynvml


def discover(nvml: Any | None = None) -> Inventory:
    """This host's GPUs by ``nvml`` (an initialised pynvml, or a fake; load_nvml()'s by default)."""
    nvml = nvml if nvml is not None else load_nvml()
    if nvml is None:
        return Inventory()
    try:
        gpus = []
        for i in range(nvml.nvmlDeviceGetCount()):
            h = nvml.nvmlDeviceGetHandleByIndex(i)
            gpus.append(Gpu(index=i, minor=nvml.nvmlDeviceGetMinorNumber(h), uuid=_text(nvml.nvmlDeviceGetUUID(h)),
                            model=_text(nvml.nvmlDeviceGetName(h)),
                            memory_mb=nvml.nvmlDeviceGetMemoryInfo(h).total // 2 ** 20, mig=_mig(nvml, h)))
        cuda = nvml.nvmlSystemGetCudaDriverVersion()
        return Inventory(tuple(gpus), _text(nvml.nvmlSystemGetDriverVersion()), f"{cuda // 1000}.{cuda % 1000 // 10}",
                         found=True, source=nvml)
    except nvml.NVMLError as exc:
        log.warning("NVML found GPUs but could not describe them (%s): offering none; --gpus N --gpu-type T"
                    " offers them as told", exc)
        return Inventory()


@dataclasses.dataclass(frozen=True)
class Sample:
    """What one GPU does now."""

    index: int
    uuid: str
    utilization: float     # 0..1 of the last sample period
    memory_used: int       # bytes
    power_w: float | None  # None where the GPU does not say
    processes: dict[int, int]   # host pid -> its GPU memory (bytes)


def sample(inventory: Inventory) -> list[Sample]:
    """Each of ``inventory``'s GPUs now, by the NVML that found them (those it cannot read are left
    out; none where they were told, not found)."""
    nvml, out = inventory.source, []
    if nvml is None:
        return out
    for gpu in inventory.gpus:
        try:
            h = nvml.nvmlDeviceGetHandleByIndex(gpu.index)
            try:
                power = nvml.nvmlDeviceGetPowerUsage(h) / 1000
            except nvml.NVMLError:
                power = None
            try:
                procs = {p.pid: p.usedGpuMemory or 0 for p in nvml.nvmlDeviceGetComputeRunningProcesses(h)}
            except nvml.NVMLError:
                procs = {}
            out.append(Sample(gpu.index, gpu.uuid, nvml.nvmlDeviceGetUtilizationRates(h).gpu / 100,
                              nvml.nvmlDeviceGetMemoryInfo(h).used, power, procs))
        except nvml.NVMLError as exc:
            log.debug("GPU %d not sampled: %s", gpu.index, exc)
    return out


def _mig(nvml: Any, handle) -> bool:
    try:
        current, _pending = nvml.nvmlDeviceGetMigMode(handle)
    except nvml.NVMLError:   # (not a MIG-capable GPU)
        return False
    return bool(current)


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


class Pool:
    """This worker's GPUs, each held by one container at most, and what a container gets for those
    it holds: their indices in CUDA_VISIBLE_DEVICES where containers share the host's devices (the
    process runtime), their device nodes, driver and hooks by CDI where the runtime isolates."""

    def __init__(self, inventory: Inventory, runtime, cdi_dirs=None):
        from .runtime import cdi

        self.inventory, self.runtime = inventory, runtime
        self.cdi_dirs = cdi.SPEC_DIRS if cdi_dirs is None else tuple(cdi_dirs)
        self.whole = [g for g in inventory.gpus if not g.mig]   # (a GPU in MIG mode is not handed out whole)
        for g in inventory.gpus:
            if g.mig:
                log.warning("GPU %d (%s) is in MIG mode: not offered (MIG instances are not handed out yet);"
                            " `nvidia-smi -i %d -mig 0` offers it whole", g.index, g.model, g.index)
        self.free = list(self.whole)

    @property
    def count(self) -> int:
        return len(self.whole)

    def take(self, n: int) -> list[Gpu]:
        """``n`` of its free GPUs (the server placed the container here because they are free)."""
        from .runtime import RuntimeStartError

        if len(self.free) < n:
            raise RuntimeStartError(f"{n} GPU(s) asked for and {len(self.free)} free on this worker")
        taken, self.free = self.free[:n], self.free[n:]
        return taken

    def release(self, gpus: list[Gpu]) -> None:
        self.free = sorted(self.free + list(gpus), key=lambda g: g.index)

    def edits(self, gpus: list[Gpu]):
        """cdi.Edits for a container holding ``gpus``."""
        from .runtime import cdi

        if not gpus:
            return cdi.Edits()
        indices = ",".join(str(g.index) for g in gpus)
        if not self.runtime.isolated:   # the host's devices, all of them: CUDA is told which are its
            return cdi.Edits(env=(("CUDA_VISIBLE_DEVICES", indices), ("NVIDIA_VISIBLE_DEVICES", indices)))
        spec = cdi.load_spec(self.cdi_dirs)
        if spec is None:
            return cdi.from_driver(gpus)
        named = {str(d.get("name")) for d in spec.get("devices", [])}
        return cdi.from_spec(spec, [str(g.index) if str(g.index) in named or not g.uuid else g.uuid for g in gpus])
