"""A function whose containers die by themselves shortly after they start, with no input running:
a crash loop (its min_containers=1 keeps asking for a container)."""

import os
import threading

import leveret

app = leveret.App("crash-loop")

if os.environ.get("LEVERET_CONTAINER_ID"):   # inside a container only, not where the test imports it
    threading.Timer(0.05, os._exit, (5,)).start()


@app.function(min_containers=1)
def kept(x):
    return x
