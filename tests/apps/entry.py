import time

import leveret

app = leveret.App("entry")


@app.function()
def greet(name: str, times: int = 1):
    return " ".join([f"hello {name}"] * times)


@app.function()
def ticker():
    print("tick 1", flush=True)
    time.sleep(1.5)
    print("tick 2")
    return "ticked"


@app.function()
def sleepy(x):
    time.sleep(0.5)
    return x


@app.local_entrypoint()
def main(name: str, times: int = 2, loud: bool = False, ratio: float = 0.5):
    text = greet.remote(name, times)
    print(text.upper() if loud else text, ratio)


@app.local_entrypoint()
def live():
    print("result", ticker.remote(), flush=True)


@app.local_entrypoint()
def slow():
    for x in sleepy.map(range(200)):
        print("got", x, flush=True)


@app.function()
def later(seconds: float):
    time.sleep(seconds)
    print("LATER DONE", flush=True)
    return seconds


@app.local_entrypoint()
def fire_and_forget(seconds: float = 2.0):
    """Spawns and exits at once: with `leveret run --detach` the call runs on without this client."""
    print("spawned", later.spawn(seconds).object_id, flush=True)
