import os

import leveret

app = leveret.App("disks")


def _fill(path: str, mb: int, keep: bool = False) -> dict:
    """Write ``mb`` MiB to ``path``, flushed to the disk; say how far it got and how it ended.
    The file is deleted after, unless ``keep``."""
    block = b"x" * (1024 * 1024)
    written = 0
    try:
        with open(path, "wb") as f:
            for _ in range(mb):
                f.write(block)
                written += 1
            f.flush()
            os.fsync(f.fileno())
    except OSError as exc:
        return {"written_mb": written, "errno": exc.errno, "error": str(exc)}
    finally:
        if not keep and os.path.exists(path):
            os.unlink(path)
    return {"written_mb": written, "errno": 0, "error": ""}


@app.function(ephemeral_disk=64)
def fill(path, mb, keep=False):
    return _fill(path, mb, keep)


@app.function()
def fill_default(path, mb):
    return _fill(path, mb, keep=True)


@app.function(ephemeral_disk=64)
def df(path):
    st = os.statvfs(path)
    return {"size_mb": st.f_blocks * st.f_frsize // (1024 * 1024), "tmp_mode": oct(os.stat("/tmp").st_mode & 0o7777)}


@app.function()
def default_df(path):
    st = os.statvfs(path)
    return st.f_blocks * st.f_frsize // (1024 * 1024)


@app.function()
def write_small(path):
    return _fill(path, 4)


@app.function()
def writable(paths):
    """Which of ``paths`` (directories) this container can create a file in; "SOCKET" stands for the
    directory of its socket to the worker, "CODE" for its function's code (host paths, bind-mounted
    at the same paths)."""
    host = {"SOCKET": os.path.dirname(os.environ["LEVERET_CONTAINER_SOCKET"]), "CODE": os.path.dirname(__file__)}
    found = []
    for path in [host.get(p, p) for p in paths]:
        if not os.path.isdir(path):
            raise FileNotFoundError(path)
        try:
            with open(os.path.join(path, "probe"), "w"):
                pass
            found.append(path)
        except OSError:
            pass
    return found
