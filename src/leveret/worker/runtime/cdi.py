"""GPUs into isolated containers, by the Container Device Interface (CDI).

    the GPUs a container got (indices) ─▶ a CDI spec of kind nvidia.com/gpu in /etc/cdi or
        /var/run/cdi (as `nvidia-ctk cdi generate` writes, JSON or YAML)?
          yes ─▶ its containerEdits + those of each device named by the GPU's index or UUID
          no  ─▶ the same edits built from NVML's inventory and the driver's files (``from_driver``)
        ─▶ Edits: device nodes, read-only mounts, environment, OCI hooks ─▶ ContainerSpec

A container sees the device nodes of its GPUs and the driver's control nodes (/dev/nvidiactl,
/dev/nvidia-uvm…), none of another container's GPUs; the device cgroup admits only those
(ociconfig.py). Without a CDI spec the driver's libraries and tools are bound read-only under
/usr/local/nvidia (lib64, bin), on LD_LIBRARY_PATH and PATH, as GKE lays them out.
"""

from __future__ import annotations

import dataclasses
import glob
import json
import os
import shutil
import subprocess

from .base import Mount, RuntimeStartError

KIND = "nvidia.com/gpu"
SPEC_DIRS = ("/etc/cdi", "/var/run/cdi")   # (the later wins, as CDI orders them)
HOOK_STAGES = ("prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop")
CONTROL_NODES = ("nvidiactl", "nvidia-uvm", "nvidia-uvm-tools", "nvidia-modeset")
# The user-space driver a CUDA program loads (the libraries of NVIDIA's container toolkit's list
# that compute needs) and the tools users run.
DRIVER_LIBS = ("libcuda.so", "libnvidia-ml.so", "libnvidia-ptxjitcompiler.so", "libnvidia-nvvm.so",
               "libnvidia-cfg.so", "libnvidia-opencl.so", "libcudadebugger.so", "libnvidia-gpucomp.so")
DRIVER_BINS = ("nvidia-smi", "nvidia-debugdump", "nvidia-persistenced", "nvidia-cuda-mps-control",
               "nvidia-cuda-mps-server")
LIB_DIR, BIN_DIR = "/usr/local/nvidia/lib64", "/usr/local/nvidia/bin"


@dataclasses.dataclass(frozen=True)
class Edits:
    """What a container gets for its devices: ``devices`` ("HOST" or "HOST:INSIDE" device paths),
    ``mounts``, ``env``, ``hooks`` (OCI hooks by stage)."""

    devices: tuple[str, ...] = ()
    mounts: tuple[Mount, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    hooks: tuple[tuple[str, dict], ...] = ()

    def __add__(self, other: "Edits") -> "Edits":
        return Edits(_unique(self.devices + other.devices), _unique(self.mounts + other.mounts),
                     self.env + other.env, self.hooks + other.hooks)


def _unique(items: tuple) -> tuple:
    return tuple(dict.fromkeys(items))


def load_spec(dirs=SPEC_DIRS, kind: str = KIND) -> dict | None:
    """The CDI spec of ``kind`` in ``dirs`` (the last found wins), or None."""
    found = None
    for d in dirs:
        for path in sorted(glob.glob(os.path.join(d, "*.json")) + glob.glob(os.path.join(d, "*.yaml"))
                           + glob.glob(os.path.join(d, "*.yml"))):
            spec = _read(path)
            if spec.get("kind") == kind:
                found = spec
    return found


def _read(path: str) -> dict:
    with open(path) as f:
        text = f.read()
    try:
        if path.endswith(".json"):
            spec = json.loads(text)
        else:
            import yaml

            spec = yaml.safe_load(text)
    except ValueError as exc:   # (yaml's errors are ValueErrors too)
        raise RuntimeStartError(f"the CDI spec {path} cannot be read ({exc}): write it again with"
                                " `nvidia-ctk cdi generate --output=...`") from None
    if not isinstance(spec, dict) or not isinstance(spec.get("devices", []), list):
        raise RuntimeStartError(f"{path} is not a CDI spec (no kind and devices): write it again with"
                                " `nvidia-ctk cdi generate --output=...`")
    return spec


def from_spec(spec: dict, names: list[str]) -> Edits:
    """The spec's own edits and those of its devices ``names`` (each "index" or "UUID", whichever
    the spec names: the first of a GPU's that it has)."""
    by_name = {d.get("name"): d for d in spec.get("devices", [])}
    edits = _edits(spec.get("containerEdits") or {})
    for name in names:
        device = by_name.get(name)
        if device is None:
            raise RuntimeStartError(f"the CDI spec of {spec.get('kind')} names no device {name!r} (it has"
                                    f" {', '.join(map(str, by_name)) or 'none'}): generate it again with"
                                    " `nvidia-ctk cdi generate`")
        edits += _edits(device.get("containerEdits") or {})
    return edits


def _edits(e: dict) -> Edits:
    devices = []
    for node in e.get("deviceNodes") or []:
        inside = node["path"]
        host = node.get("hostPath") or inside
        devices.append(host if host == inside else f"{host}:{inside}")
    mounts = [Mount(m["hostPath"], m["containerPath"], read_only="rw" not in (m.get("options") or ["ro"]))
              for m in e.get("mounts") or []]
    env = [tuple(kv.split("=", 1)) for kv in e.get("env") or [] if "=" in kv]
    hooks = []
    for h in e.get("hooks") or []:
        if h.get("hookName") not in HOOK_STAGES:
            raise RuntimeStartError(f"a CDI hook at stage {h.get('hookName')!r}: OCI's stages are"
                                    f" {', '.join(HOOK_STAGES)}")
        hook = {"path": h["path"], **{k: h[k] for k in ("args", "env", "timeout") if h.get(k)}}
        hooks.append((h["hookName"], hook))
    return Edits(tuple(devices), tuple(mounts), tuple(env), tuple(hooks))


def from_driver(gpus: list, dev: str = "/dev") -> Edits:
    """The edits a CDI spec would hold, from NVML's ``gpus`` (worker/gpus.Gpu) and this host's driver."""
    devices = [f"{dev}/nvidia{g.minor}" for g in gpus]
    devices += [os.path.join(dev, n) for n in CONTROL_NODES if os.path.exists(os.path.join(dev, n))]
    mounts = [Mount(path, f"{LIB_DIR}/{soname}") for soname, path in driver_libraries().items()]
    mounts += [Mount(path, f"{BIN_DIR}/{os.path.basename(path)}")
               for path in filter(None, map(shutil.which, DRIVER_BINS))]
    return Edits(tuple(devices), tuple(mounts))


def driver_libraries() -> dict[str, str]:
    """{soname: the host's file} of the driver's libraries, as this host's linker cache lists them."""
    try:
        out = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    found: dict[str, str] = {}
    for line in out.splitlines():   # "	libcuda.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so.1"
        name, _, path = line.strip().partition(" => ")
        soname, _, flags = name.partition(" (")
        if flags.startswith("libc6)"):
            continue   # a 32-bit library ("libc6,x86-64" or "libc6,AArch64": this host's)
        if soname.startswith(DRIVER_LIBS) and soname.count(".so.") == 1 and soname not in found:
            found[soname] = os.path.realpath(path)
    return found


def apply(edits: Edits, env: dict[str, str]) -> dict[str, str]:
    """``env`` with what ``edits`` set, and the driver's directories on its paths where mounted there."""
    env = {**env, **dict(edits.env)}
    targets = {m.target for m in edits.mounts}
    for var, d, default in (("LD_LIBRARY_PATH", LIB_DIR, ""), ("PATH", BIN_DIR, "/usr/local/sbin:/usr/local/bin:"
                                                                               "/usr/sbin:/usr/bin:/sbin:/bin")):
        if any(t.startswith(d + "/") for t in targets):
            env[var] = ":".join(p for p in (env.get(var, default), d) if p)
    return env
