import os

import leveret

app = leveret.App("broken")

if os.environ.get("LEVERET_CONTAINER_ID"):
    raise RuntimeError("this module refuses to import inside a container")


@app.function()
def f(x):
    return x
