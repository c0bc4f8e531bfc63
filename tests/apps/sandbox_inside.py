"""A function that tries to make a sandbox from inside its container (not supported yet)."""

import leveret

app = leveret.App("sandbox-inside")


@app.function()
def make_one():
    target = leveret.App.lookup("sandbox-inside-target", create_if_missing=True)
    return leveret.Sandbox.create("echo", "hi", app=target).stdout.read()


@app.function()
def make_in_this_app():
    return leveret.Sandbox.create("echo", "hi", app=app).stdout.read()
