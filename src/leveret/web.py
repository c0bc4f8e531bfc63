"""Web functions, with Modal's decorators: a function (or an ``@app.cls`` method) that answers HTTP
requests at a URL of the server's gateway. Each goes below ``@app.function()``::

    @app.function()
    @leveret.fastapi_endpoint(method="POST")
    def predict(item: dict): return {"label": ...}   # FastAPI (in the image) makes the one route

    @app.function()
    @leveret.asgi_app()
    def api(): return fastapi_app                    # any ASGI app: FastAPI, Starlette, ...

    @app.function()
    @leveret.wsgi_app()
    def site(): return flask_app                     # any WSGI app: Flask, Django, ...

    @app.function()
    @leveret.web_server(8000, startup_timeout=30)
    def ui(): subprocess.Popen(["python", "-m", "http.server", "8000"])   # a server the function starts

Each request is an input of the function: containers start for the first request and scale
with concurrent ones (``@leveret.concurrent`` says how many a container takes), as for calls.
``label`` names the URL (default: the function's name); ``requires_proxy_auth=True`` lets through
only requests with a proxy token's id and secret as their ``Modal-Key`` and ``Modal-Secret``
headers (``leveret token create --proxy NAME``). ``Function.get_web_url()`` is the URL:
``<gateway>/<app>/<label>`` for a deployed app, ``<gateway>/<app>-dev/<label>`` while ``leveret run``
runs it (server/routes.py). Answers and request bodies stream both ways (server-sent events reach
the client one by one; a large upload is read as it comes), and ASGI apps take WebSockets. On an
``@app.cls``, a method with one of these decorators is a web endpoint of its own
(``Model().predict.get_web_url()``), answered with the instance its ``@enter`` made. Not yet:
``custom_domains``.
"""

from __future__ import annotations

import re

from .exception import InvalidError, NotImplementedOptionError

ATTR = "__leveret_web__"
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS")
_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
DEFAULT_STARTUP_TIMEOUT = 5.0
MAX_STARTUP_TIMEOUT = 24 * 3600

FASTAPI, ASGI, WSGI, SERVER = "fastapi", "asgi", "wsgi", "server"


class WebConfig:
    """How a web function answers: ``kind`` (one of FASTAPI, ASGI, WSGI, SERVER) and its options."""

    __slots__ = ("kind", "method", "label", "docs", "requires_proxy_auth", "port", "startup_timeout")

    def __init__(self, kind: str, *, method: str = "", label: str = "", docs: bool = False,
                 requires_proxy_auth: bool = False, port: int = 0, startup_timeout: float = 0.0):
        self.kind, self.method, self.label, self.docs = kind, method, label, docs
        self.requires_proxy_auth, self.port, self.startup_timeout = requires_proxy_auth, port, startup_timeout

    def __eq__(self, other) -> bool:
        return isinstance(other, WebConfig) and all(getattr(self, k) == getattr(other, k) for k in self.__slots__)

    def __repr__(self) -> str:
        return f"WebConfig({', '.join(f'{k}={getattr(self, k)!r}' for k in self.__slots__)})"


def _decorator(name: str, config: WebConfig):
    def wrapper(f):
        from .function import Function

        if isinstance(f, Function):
            raise InvalidError(f"put @leveret.{name}(...) below @app.function(), so it applies first")
        if not callable(f):
            raise InvalidError(f"@leveret.{name}(...) decorates a function, not {f!r}")
        if getattr(f, ATTR, None) is not None:
            raise InvalidError(f"{getattr(f, '__qualname__', f)} has two web decorators: keep one")
        setattr(f, ATTR, config)
        return f

    return wrapper


def _common(name: str, label, custom_domains, requires_proxy_auth) -> None:
    if label is not None and (not isinstance(label, str) or not _LABEL.fullmatch(label)):
        raise InvalidError(f"@leveret.{name}(label={label!r}): a label is 1 to 63 lowercase letters, digits and"
                           " dashes, not starting or ending with a dash (it is part of the URL), e.g. label=\"predict\"")
    if custom_domains:
        raise NotImplementedOptionError(
            f"@leveret.{name}(custom_domains=...) is not supported: point your domain at the gateway and use its"
            " host-name routing (leveret server --gateway-domain), then remove custom_domains=")
    if not isinstance(requires_proxy_auth, bool):
        raise InvalidError(f"@leveret.{name}(requires_proxy_auth={requires_proxy_auth!r}) must be True or False")


def _no_arguments(name: str, given) -> None:
    if given is not None:
        raise InvalidError(f"use @leveret.{name}() with parentheses, not @leveret.{name}")


def fastapi_endpoint(_warn_parentheses_missing=None, *, method: str = "GET", label: str | None = None,
                     custom_domains=None, docs: bool = False, requires_proxy_auth: bool = False):
    """One route, made with FastAPI (which the function's image needs): the function's parameters
    are the query's (or, for POST and the like, a JSON body's), its return value the JSON answer."""
    _no_arguments("fastapi_endpoint", _warn_parentheses_missing)
    _common("fastapi_endpoint", label, custom_domains, requires_proxy_auth)
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise InvalidError(f"@leveret.fastapi_endpoint(method={method!r}): one of {', '.join(METHODS)}")
    if not isinstance(docs, bool):
        raise InvalidError(f"@leveret.fastapi_endpoint(docs={docs!r}) must be True or False")
    return _decorator("fastapi_endpoint", WebConfig(FASTAPI, method=method.upper(), label=label or "", docs=docs,
                                                    requires_proxy_auth=requires_proxy_auth))


def web_endpoint(_warn_parentheses_missing=None, *, method: str = "GET", label: str | None = None,
                 custom_domains=None, docs: bool = False, requires_proxy_auth: bool = False):
    """Modal's older name of ``fastapi_endpoint``."""
    _no_arguments("web_endpoint", _warn_parentheses_missing)
    return fastapi_endpoint(method=method, label=label, custom_domains=custom_domains, docs=docs,
                            requires_proxy_auth=requires_proxy_auth)


def asgi_app(_warn_parentheses_missing=None, *, label: str | None = None, custom_domains=None,
             requires_proxy_auth: bool = False):
    """The function returns an ASGI application (FastAPI, Starlette, ...), made once per container,
    which answers every request to the URL and the paths under it."""
    _no_arguments("asgi_app", _warn_parentheses_missing)
    _common("asgi_app", label, custom_domains, requires_proxy_auth)
    return _decorator("asgi_app", WebConfig(ASGI, label=label or "", requires_proxy_auth=requires_proxy_auth))


def wsgi_app(_warn_parentheses_missing=None, *, label: str | None = None, custom_domains=None,
             requires_proxy_auth: bool = False):
    """The function returns a WSGI application (Flask, Django, ...), made once per container."""
    _no_arguments("wsgi_app", _warn_parentheses_missing)
    _common("wsgi_app", label, custom_domains, requires_proxy_auth)
    return _decorator("wsgi_app", WebConfig(WSGI, label=label or "", requires_proxy_auth=requires_proxy_auth))


def web_server(port: int, *, startup_timeout: float = DEFAULT_STARTUP_TIMEOUT, label: str | None = None,
               custom_domains=None, requires_proxy_auth: bool = False):
    """The function starts an HTTP server on ``port`` inside its container (and returns); requests
    are passed to it once it listens, which it must within ``startup_timeout`` seconds."""
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise InvalidError(f"@leveret.web_server({port!r}): the port the function's server listens on, 1 to 65535,"
                           " e.g. @leveret.web_server(8000)")
    if (isinstance(startup_timeout, bool) or not isinstance(startup_timeout, (int, float))
            or not 0 < startup_timeout <= MAX_STARTUP_TIMEOUT):
        raise InvalidError(f"@leveret.web_server(startup_timeout={startup_timeout!r}): seconds, more than 0 and at"
                           f" most {MAX_STARTUP_TIMEOUT}")
    _common("web_server", label, custom_domains, requires_proxy_auth)
    return _decorator("web_server", WebConfig(SERVER, label=label or "", requires_proxy_auth=requires_proxy_auth,
                                              port=port, startup_timeout=float(startup_timeout)))


def of(f) -> WebConfig | None:
    """A function's web config, or None: it is not a web function."""
    return getattr(f, ATTR, None)


__all__ = ["fastapi_endpoint", "web_endpoint", "asgi_app", "wsgi_app", "web_server"]
