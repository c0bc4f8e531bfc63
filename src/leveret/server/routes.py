"""Web functions' URLs on the gateway (gateway.py): /APP/LABEL for the live version of a deployed
app, /APP-dev/LABEL for the newest running ephemeral app of that name (as Modal's `modal serve`
URLs end in -dev); LABEL is the decorator's label, or the function's name made URL-safe."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .dispatch import Dispatcher
    from .state import AppState, FunctionState

DEV = "-dev"
_UNSAFE = re.compile(r"[^a-z0-9-]+")


def default_label(function_name: str) -> str:
    """A function's URL name unless its decorator gives one: lowercase, runs of anything but
    letters, digits and dashes as one dash (``Model.predict`` → ``model-predict``)."""
    return _UNSAFE.sub("-", function_name.lower()).strip("-")[:63] or "fn"


def app_path(app: "AppState") -> str:
    return app.name if app.deployed else app.name + DEV


class Routes:
    """Resolves URLs to web functions; ``url``: where the gateway listens ("" before it does)."""

    def __init__(self, dispatcher: "Dispatcher"):
        self.d = dispatcher
        self.url = ""

    def url_of(self, app: "AppState", fn: "FunctionState") -> str:
        """A web function's URL ("" for another function, or before the gateway listens)."""
        if not fn.spec.web_kind or not self.url:
            return ""
        return f"{self.url}/{app_path(app)}/{fn.spec.web_label}"

    def resolve(self, app_part: str, label: str) -> "tuple[FunctionState | None, str]":
        """The web function at /APP/LABEL, or (None, why there is none)."""
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
            if fn.spec.web_kind and fn.spec.web_label == label and not fn.retired:
                return fn, ""
        labels = sorted({f.spec.web_label for f in app.functions if f.spec.web_kind and not f.retired})
        return None, (f"app {app.name!r} has no web function {label!r}"
                      + (f" (its web functions: {', '.join(labels)})" if labels else " (it has no web functions)"))
