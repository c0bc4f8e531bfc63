"""An app deployed for tests/integration/test_nested_calls.py to call by name from inside a container."""

import leveret

app = leveret.App("nested-target")


@app.function()
def triple(x):
    return 3 * x
