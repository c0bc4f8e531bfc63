"""The app the state benchmark runs, and the timing loops it runs both here and in a container."""

import pickle
import time

import leveret

app = leveret.App("bench-state")

VALUE = b"x" * 100   # pickles to 115 bytes, with pickle as with Leveret's serializer
WARMUP = 20


def time_ops(put, get, n: int) -> dict:
    """Microseconds of each of n puts, then of each of n gets of the keys put."""
    for i in range(WARMUP):
        put(f"w{i}", VALUE)
        get(f"w{i}")
    clock, puts, gets = time.perf_counter, [], []
    for i in range(n):
        t = clock()
        put(f"k{i}", VALUE)
        puts.append((clock() - t) * 1e6)
    for i in range(n):
        t = clock()
        got = get(f"k{i}")
        gets.append((clock() - t) * 1e6)
        assert got == VALUE, got
    return {"put_us": puts, "get_us": gets}


def dict_ops(name: str, n: int) -> dict:
    d = leveret.Dict.from_name(name, create_if_missing=True)
    return time_ops(d.put, d.get, n)


def redis_ops(port: int, n: int) -> dict:
    """SET/GET with keys and values pickled, as Leveret's Dict pickles them."""
    try:
        import redis
    except ImportError:
        return {"skipped": "redis-py is not in the function's image: Redis measured from the client only"}
    r = redis.Redis(host="127.0.0.1", port=port)

    def put(key, value):
        r.set(pickle.dumps(key), pickle.dumps(value))

    def get(key):
        data = r.get(pickle.dumps(key))
        return None if data is None else pickle.loads(data)

    return time_ops(put, get, n)


@app.function()
def dict_in_container(name: str, n: int) -> dict:
    return dict_ops(name, n)


@app.function()
def redis_in_container(port: int, n: int) -> dict:
    return redis_ops(port, n)


vol = leveret.Volume.from_name("bench-state-volume", create_if_missing=True)


@app.function(volumes={"/v": vol}, timeout=1800)
def volume_commit(n_files: int, file_bytes: int) -> dict:
    """Write ``n_files`` files of random bytes (each its own) in the mount, then time vol.commit()."""
    import os

    for i in range(n_files):
        with open(f"/v/f{i:05d}.bin", "wb") as f:
            f.write(os.urandom(file_bytes))
    t = time.perf_counter()
    vol.commit()
    return {"commit_s": time.perf_counter() - t}


@app.function(volumes={"/v": vol}, timeout=1800)
def volume_reload() -> dict:
    """Time vol.reload() in a container mounted before the commit; what the mount then holds."""
    import os

    t = time.perf_counter()
    vol.reload()
    took = time.perf_counter() - t
    names = os.listdir("/v")
    return {"reload_s": took, "files": len(names), "bytes": sum(os.path.getsize(f"/v/{n}") for n in names)}
