"""A function that serves HTTP on a port of its container and forwards it (tests/integration/test_tunnels.py)."""

import socket
import subprocess
import sys
import time

import leveret

app = leveret.App("tunnel-app")


def _forward_a_server(queue_name: str, argv: list[str]) -> str:
    """Run ``argv`` + [a free port] until it listens, forward that port, put the tunnel's URL on the
    queue and hold it until the test puts "done"; the URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([*argv, str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
def serve_through_a_tunnel(queue_name: str) -> str:
    return _forward_a_server(queue_name, [sys.executable, "-m", "http.server", "--bind", "127.0.0.1"])


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


@app.function()
def websocket_through_a_tunnel(queue_name: str) -> None:
    """A WebSocket server (ws_echo_server.py) forwarded."""
    import os

    _forward_a_server(queue_name, [sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                                "ws_echo_server.py")])
