"""An app whose run leaves something to look at in the dashboard: successes, a failure (retried) with
its traceback, and a web endpoint."""

import leveret

app = leveret.App("dash-pages")


@app.function(retries=leveret.Retries(max_retries=1, initial_delay=0.1))
def work(x: int) -> int:
    print(f"working on {x}")
    if x == 3:
        raise ValueError(f"x is {x}")
    return x * 2


@app.function()
@leveret.fastapi_endpoint()
def greet(name: str = "you") -> dict:
    return {"hello": name}
