"""A function that names no environment: inside its container, its app's is meant."""

import leveret

app = leveret.App("env-user")


@app.function()
def mode() -> str:
    return leveret.Dict.from_name("settings")["mode"]


@app.function()
def via_lookup() -> str:
    return leveret.Function.from_name("env-user", "mode").remote()
