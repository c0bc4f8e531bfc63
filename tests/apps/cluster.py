"""A map whose results say which host ran each input, for tests with workers on several hosts."""

import socket
import sys
import time

import leveret

app = leveret.App("cluster")


def address_towards(peer: str) -> str:
    """This host's address on the way to ``peer`` (a UDP socket's connect sends nothing)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect((peer, 9))
        return s.getsockname()[0]


@app.function()
def square_where(x: int, peer: str, delay: float, slow_on: str, slow_delay: float):
    address = address_towards(peer)
    print("start", x, "on", address, file=sys.stderr, flush=True)
    time.sleep(slow_delay if address == slow_on else delay)
    return x, x * x, address


@app.local_entrypoint()
def fan_out(n: int, peer: str, delay: float = 0.15, slow_on: str = "", slow_delay: float = 1.0):
    """Square range(n), each input taking ``delay`` s (``slow_delay`` on the host at address ``slow_on``).

    Prints ``result X X*X ADDRESS`` on stdout per result as it arrives; the function's own ``start X
    on ADDRESS`` lines go to stderr, so the two never share a line."""
    kwargs = {"peer": peer, "delay": delay, "slow_on": slow_on, "slow_delay": slow_delay}
    for x, square, address in square_where.map(range(n), kwargs=kwargs, order_outputs=False):
        sys.stdout.write(f"result {x} {square} {address}\n")
        sys.stdout.flush()


@app.function()
@leveret.asgi_app(label="where")
def where():
    """A web function that answers, after ?delay= seconds, the address of the host it ran on."""
    import asyncio
    import urllib.parse

    async def answer(scope, receive, send):
        if scope["type"] != "http":
            return
        query = dict(urllib.parse.parse_qsl(scope["query_string"].decode()))
        await asyncio.sleep(float(query.get("delay", 0)))
        gateway = dict(scope["headers"])[b"host"].decode().rsplit(":", 1)[0]
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": address_towards(gateway).encode()})

    return answer
