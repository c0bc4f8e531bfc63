"""The app the hot-path benchmark runs: one trivial function."""

import leveret

app = leveret.App("bench")


@app.function()
def trivial(x):
    return x * x
