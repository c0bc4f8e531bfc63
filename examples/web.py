"""Web functions: each request runs as an input of its function, in containers that start with the
first request and scale with the traffic.

    leveret deploy examples/web.py        # prints each web function's URL
    curl "$(leveret app list | grep -o 'http://[^ ]*/hello')?name=ada"
    leveret run examples/web.py           # the same at .../web-dev/..., while it runs
"""

import json

import leveret

app = leveret.App("web")


async def hello_app(scope, receive, send):
    """A whole ASGI app in a few lines (FastAPI, Starlette, ... are ASGI apps too)."""
    if scope["type"] != "http":
        return
    query = dict(part.split("=", 1) for part in scope["query_string"].decode().split("&") if "=" in part)
    body = json.dumps({"hello": query.get("name", "world"), "path": scope["path"]}).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


@app.function()
@leveret.concurrent(max_inputs=20)
@leveret.asgi_app(label="hello")
def hello():
    return hello_app


@app.local_entrypoint()
def main():
    import urllib.request

    url = hello.get_web_url()
    print("serving at", url)
    print(urllib.request.urlopen(url + "/greet?name=ada").read().decode())
