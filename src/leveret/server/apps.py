"""The Dispatcher's apps and their functions (dispatch.py mixes this in): made, found, replaced
(`leveret serve`), stopped. The hot path stays in dispatch.py."""

from __future__ import annotations

import dataclasses
import json

from .._shared.ids import new_id
from .errors import NotFound
from .model import FunctionSpec
from .._shared.names import qualified
from .objects.kinds import environment_named
from .state import AppState, FunctionState
from .store import Store


class AppsAndFunctions:
    """Mixed into the Dispatcher: uses its ``apps``, ``functions``, ``writes``, ``clock``, ``logs``,
    ``placement``, ``deployments`` and ``cancel_call``."""

    async def create_app(self, name: str, description: str, *, deploy: bool = False, detach: bool = False,
                         environment: str = "") -> tuple[str, int]:
        """A new app: ephemeral, or (``deploy``) the next version of the deployed app ``name``,
        live once published; in ``environment`` (its name is kept as ``NAME@ENV``: objects/kinds.py).
        Returns (app_id, version)."""
        app_id = new_id("ap")
        plain = name

        def create(store: Store) -> int:
            nonlocal name
            with store.transaction():
                name = qualified(plain, environment_named(environment, store))
                if deploy:
                    self.deployments.named(store, plain, environment)   # made by the first deploy of the name
                return store.create_app(app_id, name, description, deploy=deploy)

        version = await self.writes.run(create)
        self.apps[app_id] = AppState(app_id, name, last_heartbeat=self.clock.time(),
                                     state="deploying" if deploy else "ephemeral", version=version, detached=detach)
        return app_id, version

    def heartbeat(self, app_id: str) -> None:
        self._live_app(app_id).last_heartbeat = self.clock.time()

    def _live_app(self, app_id: str) -> AppState:
        app = self.apps.get(app_id)
        if app is None or app.stopped:
            raise NotFound(f"app {app_id} is not running")
        return app

    def create_function(self, app_id: str, spec: FunctionSpec, function_id: str = "", *, replace: bool = False) -> str:
        """Add a function to a running app (``function_id``: one restored from the store). The same
        function sent again (its client reconnected) is the one it already has; with ``replace``
        (`leveret serve` reloaded its code), an ephemeral app's function of that name is retired."""
        app = self._live_app(app_id)
        existing = app.function(spec.name)
        if existing is not None and not function_id:
            if existing.spec == spec:
                return existing.function_id
            if not (replace and app.state == "ephemeral"):
                raise ValueError(f"app {app.name!r} already has a function named {spec.name!r}:"
                                 " give each function of an app its own name")
            self._retire(existing)
        if spec.schedule:   # a deployed app's fire from the store's ticks; a run's from its start (deploy.py)
            from .._shared.schedule import from_spec

            try:   # checked here too: a spec the server cannot run would fail at every tick
                from_spec(json.loads(spec.schedule))
            except Exception as exc:
                raise ValueError(f"{spec.name}: its schedule cannot run on this server: {exc}") from None
        if not function_id:
            function_id = new_id("fu")
            self.writes.add(Store.create_function, function_id, app_id, spec.name, spec.encoded)
        fn = FunctionState(function_id, app_id, spec, schedule=json.loads(spec.schedule) if spec.schedule else None,
                           anchor=self.clock.time() if app.state == "ephemeral" else 0.0)
        self.functions[function_id] = fn
        app.functions.append(fn)
        app.last_heartbeat = self.clock.time()   # a deploy in progress shows it is alive by its functions
        return function_id

    def _retire(self, fn: FunctionState) -> None:
        """A function replaced by a newer one of its name: what it runs finishes, its containers
        stop as soon as they are idle, nothing new finds it (AppState.function, routes.py)."""
        fn.retired, fn.schedule = True, None
        fn.spec = dataclasses.replace(fn.spec, min_containers=0, buffer_containers=0, scaledown_window_s=0)
        self.logs.system(fn.app_id, fn.name, "", "replaced by new code: its containers stop once idle")
        self.placement.autoscale(fn, self.clock.time())

    def stop_app(self, app_id: str, reason: str) -> int:
        """Stop an app: cancel its queued and running inputs, stop its containers.

        Returns how many of the app's inputs were cancelled over its life, these included."""
        app = self.apps.get(app_id)
        if app is None or app.stopped:
            return 0
        app.stopped = True
        for call in list(app.calls.values()):
            self.cancel_call(call, reason)
        for fn in app.functions:
            for ct in list(fn.containers.values()):
                self.placement.stop(ct, reason)
            del self.functions[fn.function_id]
        self.sandboxes.app_stopped(app_id, reason)
        for call_id in app.calls:
            self.calls.pop(call_id, None)
        self.writes.add(Store.stop_app, app_id, reason)
        self.logs.app_done(app_id)
        del self.apps[app_id]
        return app.cancelled_inputs

    def find_live_app(self, name_or_id: str) -> AppState | None:
        """A running app by id, else the live deployed version of that name, else its newest run."""
        if name_or_id in self.apps:
            return self.apps[name_or_id]
        live = self.deployments.live(name_or_id)
        if live is not None:
            return live
        named = [a for a in self.apps.values() if a.name == name_or_id and a.state == "ephemeral"]
        return named[-1] if named else None
