"""Functions that look at their container's network (tests/container/test_function_network.py)."""

import socket
import time
import urllib.request

import leveret

app = leveret.App("function-network")


@app.function()
def probe(targets: list) -> dict:
    """Whether each "host:port" takes a TCP connection from this container."""
    found = {}
    for target in targets:
        host, port = target.rsplit(":", 1)
        try:
            socket.create_connection((host, int(port)), timeout=3).close()
            found[target] = "open"
        except OSError:
            found[target] = "closed"
    return found


@app.function()
def fetch(url: str) -> str:
    return urllib.request.urlopen(url, timeout=10).read().decode()


@app.function(block_network=True)
def interfaces() -> list:
    return sorted(name for _, name in socket.if_nameindex())


@app.function()
def forwarded(seconds: float):
    """A port of this container's, served and forwarded through the gateway: its URL, while it lasts."""
    import http.server
    import threading

    class Hello(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"hello from the container"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("0.0.0.0", 8765), Hello)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with leveret.forward(8765) as tunnel:
        yield tunnel.url
        time.sleep(seconds)
    server.shutdown()
