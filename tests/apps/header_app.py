"""An API that demands a key (tests/container/test_sandbox_outbound_policy.py): a web function
answering 200 to requests with ``Authorization: Bearer <its secret's API_KEY>``, 401 to others,
and saying in its body the Host and the Authorization it was sent."""

import json
import os

import leveret

app = leveret.App("outbound-header-app")
SECRET = "outbound-api-key"


async def _asgi(scope, receive, send):
    if scope["type"] != "http":
        return
    headers = {k.decode(): v.decode() for k, v in scope["headers"]}
    authorized = headers.get("authorization") == "Bearer " + os.environ["API_KEY"]
    body = json.dumps({"authorized": authorized, "host": headers.get("host", ""),
                       "authorization": headers.get("authorization", ""),
                       "x-static": headers.get("x-static", "")}).encode()
    await send({"type": "http.response.start", "status": 200 if authorized else 401,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


@app.function(secrets=[leveret.Secret.from_name(SECRET)])
@leveret.asgi_app()
def api():
    return _asgi
