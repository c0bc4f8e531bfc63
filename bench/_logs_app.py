"""The app the logs benchmark runs: a function that prints lines carrying their write time."""

import sys
import time

import leveret

app = leveret.App("bench-logs")


@app.function()
def emit(n: int, per_s: float = 0.0) -> int:
    """Print n lines "lv <i> <time written>", as fast as it can (per_s 0) or paced at per_s lines/s."""
    write, now = sys.stdout.write, time.time
    start = now()
    for i in range(n):
        if per_s and i % 100 == 0:
            ahead = start + i / per_s - now()
            if ahead > 0:
                time.sleep(ahead)
        write(f"lv {i} {now():.6f}\n")
    sys.stdout.flush()
    return n
