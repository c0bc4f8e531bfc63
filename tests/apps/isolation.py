import os

import leveret

app = leveret.App("isolation")


@app.function()
def look():
    pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
    with open("/etc/os-release") as f:
        release = f.read()
    return {"pid": os.getpid(), "pids": pids, "hostname": os.uname().nodename, "release": release,
            "container": os.environ.get("LEVERET_CONTAINER_ID")}


@app.function()
def write_marker(path):
    with open(path, "w") as f:
        f.write("written in a container")
    return os.path.exists(path)


@app.function()
def exists(path):
    return os.path.exists(path)


@app.function()
def forkbomb():
    import subprocess

    children = []
    try:
        for _ in range(10_000):
            children.append(subprocess.Popen(["sleep", "30"]))
    except OSError as exc:
        return len(children), str(exc)
    finally:
        for c in children:
            c.kill()
            c.wait()
    return len(children), ""
