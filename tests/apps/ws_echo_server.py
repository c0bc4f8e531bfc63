"""A WebSocket server of its own (aiohttp's), for web_server and tunnel tests: `python ws_echo_server.py PORT`.
/ws echoes text as "server: TEXT Q" (Q: the query's q), doubles bytes, and closes with 4002 on "bye"."""

import sys

from aiohttp import WSMsgType, web


async def talk(request):
    ws = web.WebSocketResponse(protocols=("relay.v1",))
    await ws.prepare(request)
    async for msg in ws:
        if msg.type == WSMsgType.TEXT and msg.data == "bye":
            await ws.close(code=4002, message=b"server done")
        elif msg.type == WSMsgType.TEXT:
            await ws.send_str("server: " + msg.data + " " + request.query.get("q", ""))
        elif msg.type == WSMsgType.BINARY:
            await ws.send_bytes(msg.data * 2)
    return ws


if __name__ == "__main__":
    app = web.Application()
    app.router.add_get("/ws", talk)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
