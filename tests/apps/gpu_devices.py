"""What a GPU container sees of its devices (run on a crun cluster with fake GPUs: test_crun_gpus.py)."""

import os
import time

import leveret

app = leveret.App("gpu-devices")


@app.function(gpu="T4")
def look(barrier: str, together: int) -> dict:
    return _look(barrier, together)


@app.function(gpu="T4")
def look_too(barrier: str, together: int) -> dict:   # (another function: a container of its own for sure)
    return _look(barrier, together)


def _look(barrier: str, together: int) -> dict:
    """What it sees, once ``together`` containers hold a GPU each (met at the Dict ``barrier``)."""
    met = leveret.Dict.from_name(barrier, create_if_missing=True)
    met[os.environ["LEVERET_CONTAINER_ID"]] = True
    deadline = time.time() + 60
    while met.len() < together and time.time() < deadline:
        time.sleep(0.05)
    nodes = sorted(n for n in os.listdir("/dev") if n.startswith("nvidia"))
    gpu = next(n for n in nodes if n[len("nvidia"):].isdigit())
    with open(f"/dev/{gpu}", "rb") as f:   # its own device: the device cgroup lets it use it
        data = f.read(4)
    with open("/usr/local/nvidia/lib64/libcuda.so.1") as f:
        library = f.read()
    return {"nodes": nodes, "read": data.hex(), "env": os.environ.get("FAKE_CDI"), "library": library,
            "ld_library_path": os.environ.get("LD_LIBRARY_PATH"), "cuda": os.environ.get("CUDA_VISIBLE_DEVICES"),
            "met": met.len()}
