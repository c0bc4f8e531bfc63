import asyncio
import os
import sys
import threading

import leveret

app = leveret.App("basic")


class CustomError(Exception):
    pass


class Unpicklable(Exception):
    def __init__(self, msg):
        super().__init__(msg)
        self.lock = threading.Lock()


@app.function()
def square(x):
    return x * x


@app.function()
def add(a, b=0, *, c=0):
    return a + b + c


@app.function()
def fail(x):
    if x == 3:
        raise CustomError(f"bad input {x}")
    return x


@app.function()
def fail_unpicklable(x):
    raise Unpicklable(f"cannot travel {x}")


@app.function()
def return_unpicklable():
    return threading.Lock()


@app.function()
def countdown(n):
    for i in range(n, 0, -1):
        yield i


@app.function()
async def async_double(x):
    await asyncio.sleep(0)
    return 2 * x


@app.function()
async def async_count(n):
    for i in range(n):
        yield i


@app.function()
def chatty(tag):
    print(f"out {tag}")
    print(f"err {tag}", file=sys.stderr)
    os.system(f"echo sub {tag}")
    return tag


@app.function()
def where():
    return os.environ.get("LEVERET_CONTAINER_ID"), os.getpid()


@app.function()
def sleepy(seconds):
    import time

    time.sleep(seconds)
    return seconds


@app.function()
def crash(code):
    os._exit(code)


@app.function()
def leave_child():
    import subprocess

    return subprocess.Popen(["sleep", "40"]).pid


@app.function()
def undecodable():
    print(b"caf\xe9 ok".decode("utf-8", errors="surrogateescape"))
    return "printed"


@app.function(scaledown_window=1)
def brief(x):
    return x


@app.function(memory=64, cpu=0.5)
def limited():
    return "ran"


@app.function(timeout=1)
def overtime(seconds):
    import time

    time.sleep(seconds)
    return seconds


@app.function(secrets=[leveret.Secret.from_dict({"API_KEY": "k-123", "OTHER": "o"})])
def read_secret():
    return os.environ.get("API_KEY"), os.environ.get("OTHER")


@app.function()
def crash_on(x):
    if x == 2:
        os._exit(3)
    return x


@app.function()
def flood(n):
    """Print n short lines as fast as Python can."""
    write = sys.stdout.write
    for i in range(n):
        write(f"flood {i}\n")
    return n


@app.function()
def quiet(tag):
    for i in range(5):
        print(f"quiet {tag} {i}")
    return tag


@app.function()
def long_line(n):
    """One line of n characters: 8-digit numbers counting up, so pieces can be checked in order."""
    print("".join(f"{i:08d}" for i in range(n // 8)))
    return n


@app.function()
def undecodable_bytes():
    """Bytes that are not UTF-8 on each path: fd 1 (as C code writes), sys.stdout.buffer, a subprocess;
    and a character cut in two by separate writes."""
    os.write(1, b"fd caf\xe9 \xff ok\n")
    os.write(1, b"split \xc3")
    os.write(1, b"\xa9 ok\n")
    sys.stdout.buffer.write(b"buffer caf\xe9 ok\n")
    sys.stdout.buffer.write(b"buffer split \xc3")
    sys.stdout.buffer.write(b"\xa9 ok\n")
    sys.stdout.flush()
    os.system("printf 'sub caf\\351 ok\\n'")
    return "printed"
