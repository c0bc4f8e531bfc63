"""The app bench/web.py serves: a trivial FastAPI endpoint, and the same route as a FastAPI app for
plain uvicorn (the floor)."""

import os

import leveret

RUNTIME_IMAGE = os.environ.get("BENCH_WEB_IMAGE", "")   # "fastapi": an image with FastAPI (isolated runtimes)
image = leveret.Image.debian_slim().pip_install("fastapi") if RUNTIME_IMAGE == "fastapi" else None
app = leveret.App("bench-web", image=image)


def hello(name: str = "world"):
    return {"hello": name}


@app.function(scaledown_window=2)
@leveret.concurrent(max_inputs=100)
@leveret.fastapi_endpoint()
def endpoint(name: str = "world"):
    return hello(name)


def fastapi_app():
    """The same route, as plain uvicorn serves it: `uvicorn _web_app:fastapi_app --factory`."""
    from fastapi import FastAPI

    made = FastAPI()
    made.add_api_route("/", hello, methods=["GET"])
    return made
