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


@app.function()
def raw_tcp_through_a_tunnel(queue_name: str) -> None:
    """A TCP server that answers what it is sent, upper-cased, after the sender's half close."""
    import threading

    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            conn, _ = listener.accept()
            with conn:
                got = b""
                while data := conn.recv(65536):
                    got += data
                conn.sendall(got.upper())

    threading.Thread(target=serve, daemon=True).start()
    q = leveret.Queue.from_name(queue_name)
    with leveret.forward(listener.getsockname()[1], unencrypted=True) as tunnel:
        q.put(tunnel.tcp_socket, partition="tcp")
        q.get(partition="done", timeout=60)
