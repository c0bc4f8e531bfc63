"""The apps bench/scale.py runs on simulated workers: their code never runs (the workers answer
at once), so only the server's work is measured."""

import os

import leveret

app = leveret.App("scale")


@app.function(max_containers=1000)
def trivial(x):
    return None


# LEVERET_SCALE_CONTAINERS kept warm: functions of 1,000 each (min_containers' most), made at once
many = leveret.App("scale-placement")
CONTAINERS = int(os.environ.get("LEVERET_SCALE_CONTAINERS", "10000"))
for k in range(0, CONTAINERS, 1000):
    def idle(x):
        return None

    many.function(name=f"idle{k // 1000}", serialized=True, min_containers=min(1000, CONTAINERS - k),
                  max_containers=1000)(idle)
