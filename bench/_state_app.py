"""The app the state benchmark runs, and the timing loops it runs both here and in a container."""

import pickle
import time

import leveret

app = leveret.App("bench-state")

VALUE = b"x" * 100   # pickles to 115 bytes, with pickle as with Leveret's serializer
WARMUP = 20


def time_ops(put, get, n: int, prefix: str = "k") -> dict:
    """Microseconds of each of n puts, then of each of n gets of the keys put."""
    for i in range(WARMUP):
        put(f"w{i}", VALUE)
        get(f"w{i}")
    clock, puts, gets = time.perf_counter, [], []
    for i in range(n):
        t = clock()
        put(f"{prefix}{i}", VALUE)
        puts.append((clock() - t) * 1e6)
    for i in range(n):
        t = clock()
        got = get(f"{prefix}{i}")
        gets.append((clock() - t) * 1e6)
        assert got == VALUE, got
    return {"put_us": puts, "get_us": gets}


def interleaved(ops: dict, n: int, rounds: int) -> dict:
    """``time_ops`` of each of ``ops`` ({name: (put, get)}), n each, in turns of n // rounds: a
    shared machine's slow moments fall on all of them alike."""
    out = {name: {"put_us": [], "get_us": []} for name in ops}
    for r in range(rounds):
        for name, (put, get) in ops.items():
            got = time_ops(put, get, n // rounds, prefix=f"r{r}-")
            for k, samples in got.items():
                out[name][k] += samples
    return out


def redis_put_get(port: int):
    """SET and GET with keys and values pickled, as Leveret's Dict pickles them; None without redis-py."""
    try:
        import redis
    except ImportError:
        return None
    r = redis.Redis(host="127.0.0.1", port=port)

    def put(key, value):
        r.set(pickle.dumps(key), pickle.dumps(value))

    def get(key):
        data = r.get(pickle.dumps(key))
        return None if data is None else pickle.loads(data)

    return put, get


def dict_and_redis(name: str, redis_port: int | None, n: int, rounds: int) -> dict:
    """The Dict's and (where redis-py is, and a port given) Redis's timings, taken in turns."""
    d = leveret.Dict.from_name(name, create_if_missing=True)
    ops = {"dict": (d.put, d.get)}
    peer = redis_put_get(redis_port) if redis_port is not None else None
    if peer is not None:
        ops["redis"] = peer
    out = interleaved(ops, n, rounds)
    if redis_port is not None and peer is None:
        out["redis"] = {"skipped": "redis-py is not in the function's image"}
    return out


@app.function()
def dicts_in_container(name: str, redis_port: int | None, n: int, rounds: int) -> dict:
    return dict_and_redis(name, redis_port, n, rounds)


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
