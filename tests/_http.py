"""One HTTP request as the web tests make it: (status, headers, body), an error status's too."""

import urllib.error
import urllib.request


def fetch(url: str, data: bytes | None = None, method: str | None = None, headers=None, timeout: float = 60):
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()
