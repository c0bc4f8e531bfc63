"""@app.cls programs (tests/integration/test_classes.py)."""

import os

import leveret

app = leveret.App("classes")


@app.cls()
class Counter:
    start: int = leveret.parameter(default=0)
    label: str = leveret.parameter(default="plain")

    @leveret.enter()
    def setup(self):
        self.entered = getattr(self, "entered", 0) + 1
        self.pid = os.getpid()
        self.loaded = f"{self.label}:{self.start}"

    @leveret.method()
    def add(self, x):
        return self.start + x

    @leveret.method()
    def state(self):
        return {"entered": self.entered, "pid": self.pid, "loaded": self.loaded}

    @leveret.method()
    def upto(self, n):
        for i in range(n):
            yield self.start + i

    @leveret.method()
    async def slow_add(self, x):
        import asyncio

        await asyncio.sleep(0.01)
        return self.start + x

    def not_a_method(self):
        return "local only"


@app.cls()
class NeedsName:
    name: str = leveret.parameter()

    @leveret.method()
    def hello(self):
        return f"hello {self.name}"


@app.cls()
class Broken:
    @leveret.enter()
    def setup(self):
        raise RuntimeError("the model file is missing")

    @leveret.method()
    def run(self):
        return "never"


@app.cls(scaledown_window=2)
class Closes:
    @leveret.method()
    def ping(self):
        return "pong"

    @leveret.exit()
    def bye(self):
        print("EXIT RAN in the container", flush=True)


@app.cls()
@leveret.concurrent(max_inputs=4)
class Together:
    @leveret.method()
    def wait(self, seconds):
        import time

        time.sleep(seconds)
        return os.getpid()


@app.function()
def uses_class(x):
    """A function that calls a class of its app from inside its container."""
    return Counter(start=100).add.remote(x) + Counter().add.remote(x)
