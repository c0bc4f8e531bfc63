"""A deployed app: scaling settings, retries, schedules and a concurrent function.

    leveret deploy examples/etl.py
    python -c 'import leveret; print(leveret.Function.from_name("etl", "transform").remote(21))'
    leveret function describe etl transform
    leveret app history etl
"""

import asyncio

import leveret

app = leveret.App("etl")


@app.function(max_containers=50, min_containers=1, buffer_containers=2, scaledown_window=120,
              retries=leveret.Retries(max_retries=3, backoff_coefficient=2.0), timeout=600)
def transform(part):
    return part * 2


@app.function(schedule=leveret.Cron("0 6 * * *", timezone="Europe/Stockholm"))
def nightly():
    print("the nightly run")


@app.function(schedule=leveret.Period(minutes=5))
def poll():
    print("polling")


@app.function()
@leveret.concurrent(max_inputs=8)
async def fetch(url: str):
    print(f"fetching {url}")
    await asyncio.sleep(0.1)   # stands in for a request
    return len(url)
