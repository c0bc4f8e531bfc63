"""Functions that mount a Volume (tests/container/test_crun_volumes.py): they write, commit, reload
and read its files as a directory."""

import os
import time

import leveret

app = leveret.App("volume-user")
vol = leveret.Volume.from_name("crun-vol", create_if_missing=True)
MOUNTS = {"/data": vol, "/ro": vol.read_only(), "/sub": vol.with_mount_options(sub_path="/nested")}


def _write(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


@app.function(volumes=MOUNTS)
def write(path: str, text: str, commit: bool = True) -> list:
    _write(os.path.join("/data", path), text)
    if commit:
        vol.commit()
    return sorted(os.listdir("/data"))


@app.function(volumes=MOUNTS)
def read(path: str, reload: bool = True):
    if reload:
        vol.reload()
    full = os.path.join("/data", path)
    return open(full).read() if os.path.exists(full) else None


@app.function(volumes=MOUNTS)
def remove(path: str) -> None:
    os.remove(os.path.join("/data", path))
    vol.commit()


@app.function(volumes=MOUNTS)
def views(path: str) -> dict:
    """What the read-only and the sub_path mounts show, and whether the read-only one refuses writes."""
    vol.reload()
    try:
        _write("/ro/nope", "x")
        ro_write = "written"
    except OSError as exc:
        ro_write = type(exc).__name__
    try:
        vol.commit()   # /data is mounted writable too: fine
        committed = True
    except leveret.exception.Error as exc:
        committed = str(exc)
    return {"ro": open(os.path.join("/ro", path)).read(), "sub": sorted(os.listdir("/sub")), "ro_write": ro_write,
            "committed": committed}


@app.function(volumes={"/a": vol})
def writer_a(name: str, pause: float) -> None:
    _write(os.path.join("/a", name), "from a")
    time.sleep(pause)
    vol.commit()


@app.function(volumes={"/b": vol})
def writer_b(name: str, pause: float) -> None:
    _write(os.path.join("/b", name), "from b")
    time.sleep(pause)
    vol.commit()
