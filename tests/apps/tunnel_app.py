"""A function that serves HTTP on a port of its container and forwards it (tests/integration/test_tunnels.py)."""

import socket
import subprocess
import sys
import time

import leveret

app = leveret.App("tunnel-app")


@app.function()
def serve_through_a_tunnel(queue_name: str) -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
            time.sleep(0.02)
        q = leveret.Queue.from_name(queue_name)
        with leveret.forward(port) as tunnel:
            q.put(tunnel.url, partition="url")
            q.get(partition="done", timeout=60)   # the test is done with it
        return tunnel.url
    finally:
        server.kill()
