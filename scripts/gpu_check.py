"""The GPU check (run by scripts/gpu_check.sh): on a host with an NVIDIA GPU, as root, with no
network, an embedded cluster per runtime (process, then crun) runs a gpu="any" function that reads
`nvidia-smi -L` in its container and, where torch imports there, times a bf16 matmul. Prints JSON."""

import json
import os
import subprocess
import sys
import tempfile
import time

import leveret
from leveret.testing import Cluster
from leveret.worker import gpus

N, ITERS = 8192, 20
app = leveret.App("gpu-check")


@app.function(gpu="any", timeout=240)
def check() -> dict:
    out: dict = {}
    try:
        done = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=30)
        out["nvidia_smi_L"] = (done.stdout or done.stderr).strip()
    except OSError as exc:
        out["nvidia_smi_L"] = f"not runnable here: {exc}"
    out["visible_devices"] = sorted(n for n in os.listdir("/dev") if n.startswith("nvidia"))
    try:
        import torch
    except ImportError:
        out["matmul"] = "skipped: torch is not importable here"
        return out
    if not torch.cuda.is_available():
        out["matmul"] = "skipped: torch sees no CUDA device"
        return out
    a = torch.randn(N, N, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(N, N, device="cuda", dtype=torch.bfloat16)
    for _ in range(3):   # warm-up
        a @ b
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(ITERS):
        a @ b
    torch.cuda.synchronize()
    seconds = time.perf_counter() - t0
    out["matmul"] = {"device": torch.cuda.get_device_name(0), "n": N, "dtype": "bfloat16",
                     "tflops": round(2 * N ** 3 * ITERS / seconds / 1e12, 1)}
    return out


def main() -> int:
    inventory = gpus.discover()
    report: dict = {"gpus": [dict(index=g.index, model=g.model, uuid=g.uuid, memory_mb=g.memory_mb, mig=g.mig)
                             for g in inventory.gpus],
                    "driver": inventory.driver, "cuda": inventory.cuda, "runtimes": {}}
    if not inventory.gpus:
        report["error"] = ("NVML finds no NVIDIA GPU here (no driver, or nvidia-ml-py missing): run this on a host"
                           " with an NVIDIA GPU and its driver")
        print(json.dumps(report, indent=2))
        return 1
    runtimes = sys.argv[1:] or ["process", "crun"]
    for runtime in runtimes:
        t0 = time.perf_counter()
        try:
            with tempfile.TemporaryDirectory(prefix="leveret-gpu-check-") as d:
                with Cluster(d, runtime=runtime, gpus=inventory, warm_containers=0):
                    with app.run(show_logs=False):
                        result = check.remote()
            report["runtimes"][runtime] = {**result, "seconds": round(time.perf_counter() - t0, 1)}
        except Exception as exc:   # each runtime's outcome is reported, whatever it is
            report["runtimes"][runtime] = {"error": f"{type(exc).__name__}: {exc}"[:2000],
                                           "seconds": round(time.perf_counter() - t0, 1)}
    print(json.dumps(report, indent=2))
    ok = all("error" not in r and "GPU" in r.get("nvidia_smi_L", "") for r in report["runtimes"].values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
