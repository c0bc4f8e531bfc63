"""Web functions' URLs on the gateway (gateway.py): /APP/LABEL for the live version of a deployed
app, /APP-dev/LABEL for the newest running ephemeral app of that name (as Modal's `modal serve`
URLs end in -dev); LABEL is the decorator's label, or the function's name made URL-safe.

With a domain (`leveret server --gateway-domain DOMAIN`, a wildcard DNS name for the gateway), a
function is also APP--LABEL.DOMAIN (APP--LABEL-dev.DOMAIN for a run), which its URL then is, and
LABEL.DOMAIN where one deployed app only has that label."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, NamedTuple

from .._shared.ids import new_id
from .tcp_tunnels import TcpTunnels

if TYPE_CHECKING:
    from .dispatch import Dispatcher
    from .state import AppState, FunctionState

DEV = "-dev"
TUNNEL = "_tunnel"   # /_tunnel/ID/...: a tunnel's URL by path
_UNSAFE = re.compile(r"[^a-z0-9-]+")


def default_label(function_name: str) -> str:
    """A function's URL name unless its decorator gives one: lowercase, runs of anything but
    letters, digits and dashes as one dash (``Model.predict`` → ``model-predict``)."""
    return _UNSAFE.sub("-", function_name.lower()).strip("-")[:63] or "fn"


def _host_label(app_name: str) -> str:
    """An app's name as a part of a host name."""
    return _UNSAFE.sub("-", app_name.lower()).strip("-")


def app_path(app: "AppState") -> str:
    return app.name if app.deployed else app.name + DEV


class Route(NamedTuple):
    """What a URL reaches: a function, the method of it (an @app.cls's web method; "" for a web
    function), and whether its requests need a proxy token."""

    fn: "FunctionState"
    method: str
    auth: bool


def _labels(fn: "FunctionState") -> list[tuple[str, str, bool]]:
    """A function's web entries: (label, method, needs a proxy token)."""
    if fn.retired:
        return []
    entries = [(fn.spec.web_label, "", fn.spec.web_auth)] if fn.spec.web_kind else []
    return entries + [(label, method, auth) for method, label, auth in fn.spec.web_methods]


class Tunnel(NamedTuple):
    """A container's port reached through the gateway (leveret.forward): at ``host``, its worker's
    address (its containers share its network), until the container ends."""

    container_id: str
    host: str
    port: int
    inbound: tuple | None = None   # the networks (ipaddress) whose clients it answers (None: any)


class Routes:
    """Resolves URLs to web functions and tunnels; ``url``: where the gateway listens ("" before it does)."""

    def __init__(self, dispatcher: "Dispatcher", domain: str = ""):
        self.d = dispatcher
        self.url = ""
        self.domain = domain.strip(".").lower()
        self.tunnels: dict[str, Tunnel] = {}
        self.tcp = TcpTunnels(self)   # their raw TCP ports (unencrypted=True)

    def open_tunnel(self, container_id: str, host: str, port: int, inbound: tuple | None = None) -> tuple[str, str]:
        """A tunnel to ``port`` of a container: (its id, its URL); ``inbound``: the CIDRs whose clients it
        answers (None: any)."""
        import ipaddress

        tunnel_id = new_id("tu")
        networks = None if inbound is None else tuple(ipaddress.ip_network(c, strict=False) for c in inbound)
        self.tunnels[tunnel_id] = Tunnel(container_id, host, port, networks)
        if self.domain:
            scheme, _, address = self.url.partition("://")
            return tunnel_id, f"{scheme}://{tunnel_id}.{self.domain}:{address.rpartition(':')[2]}"
        return tunnel_id, f"{self.url}/{TUNNEL}/{tunnel_id}"

    def tunnel(self, tunnel_id: str, client: str = "") -> "tuple[Tunnel | None, str]":
        """Where a tunnel leads, or (None, why nowhere: it was closed, or its container ended, or it
        does not answer ``client``, an address outside its inbound allowlist)."""
        found = self.tunnels.get(tunnel_id)
        if found is None:
            return None, f"no tunnel {tunnel_id}: it was closed, or its container ended"
        if found.container_id not in self.d.containers:
            del self.tunnels[tunnel_id]
            return None, f"tunnel {tunnel_id}'s container {found.container_id} has ended"
        if found.inbound is not None and not _inside(client, found.inbound):
            return None, f"tunnel {tunnel_id} answers no client at {client or 'an unknown address'}: it is not in its" \
                " sandbox's inbound_cidr_allowlist"
        return found, ""

    def _url(self, app: "AppState", label: str) -> str:
        if self.domain:
            scheme, _, address = self.url.partition("://")
            port = address.rpartition(":")[2]
            dev = "" if app.deployed else DEV
            return f"{scheme}://{_host_label(app.name)}--{label}{dev}.{self.domain}:{port}"
        return f"{self.url}/{app_path(app)}/{label}"

    def url_of(self, app: "AppState", fn: "FunctionState") -> str:
        """A web function's URL ("" for another function, or before the gateway listens)."""
        if not fn.spec.web_kind or not self.url:
            return ""
        return self._url(app, fn.spec.web_label)

    def method_urls(self, app: "AppState", fn: "FunctionState") -> dict[str, str]:
        """An @app.cls's web methods' URLs, by method."""
        return {method: self._url(app, label) for method, label, _ in fn.spec.web_methods} if self.url else {}

    def host_part(self, host: str) -> str | None:
        """The name before the domain in a request's Host (its port cut off); None: not under it."""
        name = host.rsplit(":", 1)[0].lower() if not host.endswith("]") else host.lower()
        if not self.domain or not name.endswith("." + self.domain):
            return None
        return name[:-len(self.domain) - 1]

    def resolve_host(self, sub: str) -> "tuple[Route | None, str]":
        """What host name SUB.DOMAIN reaches: APP--LABEL[-dev], or a LABEL one deployed app has."""
        dev = sub.endswith(DEV)
        base = sub[:-len(DEV)] if dev else sub
        app_name, sep, label = base.partition("--")
        if sep:
            apps = [a for a in self.d.apps.values() if _host_label(a.name) == app_name]
            name = next((a.name for a in apps), app_name)
            return self.resolve(name + (DEV if dev else ""), label)
        found = [(a, Route(f, method, auth)) for a in self.d.apps.values() if a.state == "deployed" and not a.stopped
                 for f in a.functions for label, method, auth in _labels(f) if label == base]
        if len(found) == 1:
            return found[0][1], ""
        if not found:
            return None, f"no deployed app has a web function {base!r} (APP--{base}.{self.domain} names its app)"
        return None, (f"several apps have a web function {base!r}: name one, as "
                      + " or ".join(f"{_host_label(a.name)}--{base}.{self.domain}" for a, _ in found))

    def resolve(self, app_part: str, label: str) -> "tuple[Route | None, str]":
        """What /APP/LABEL reaches, or (None, why nothing does)."""
        if app_part.endswith(DEV):
            name = app_part[:-len(DEV)]
            apps = [a for a in self.d.apps.values() if a.name == name and not a.deployed and not a.stopped]
            app = apps[-1] if apps else None   # the newest run of that name
            missing = f"no app {name!r} is running (`leveret run` or `leveret serve` runs it at /{app_part}/...)"
        else:
            app = self.d.deployments.live(app_part)
            missing = (f"no app {app_part!r} is deployed (`leveret deploy` makes /{app_part}/...;"
                       f" a running one is at /{app_part}{DEV}/...)")
        if app is None:
            return None, missing
        for fn in reversed(app.functions):   # the newest: `leveret serve` replaces functions as their code changes
            for entry, method, auth in _labels(fn):
                if entry == label:
                    return Route(fn, method, auth), ""
        labels = sorted({entry for f in app.functions for entry, _, _ in _labels(f)})
        return None, (f"app {app.name!r} has no web function {label!r}"
                      + (f" (its web functions: {', '.join(labels)})" if labels else " (it has no web functions)"))


def _inside(address: str, networks: tuple) -> bool:
    import ipaddress

    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip.version == n.version and ip in n for n in networks)
