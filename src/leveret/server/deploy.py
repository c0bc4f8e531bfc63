"""Deployments and schedules: named, versioned apps that outlive their client.

    leveret deploy ─▶ AppCreate(deploy) ─▶ FunctionCreate… ─▶ AppPublish
                      version N+1, "deploying"                 N+1 "deployed" (live); N "draining"
                      (the first deploy makes the name's object: objects/apps.py)
    calls by name (Function.from_name) ─▶ the name's object ─▶ the live version; new calls still
    aimed at a draining version's functions go to the live version's function of the same name
    a draining version keeps its containers for the calls it has (queued, running, retried: they
    finish on the code they were made for) and stops once its last call is done
    rollback(name, K) ─▶ version N+1 with the functions of version K, published
    server start ─▶ live versions restored from the store, with their unfinished spawned and
                    scheduled inputs queued again
    each tick ─▶ per scheduled function of a live version: cron.due_tick; a due tick is claimed
                 in the store together with its call (one transaction), so it fires once, also
                 also across restarts

Everything here runs on the server's event loop and works on the Dispatcher's state; what it
stores goes through the store's writer (writes.py), what it reads through its reader (reads.py).
"""

from __future__ import annotations

import json
import logging
import pickle
import time
from typing import TYPE_CHECKING

from .._shared.ids import new_id
from .errors import Invalid, NotFound
from .store import Store
from .objects.apps import APP
from .objects.base import IF_MISSING
from .._shared.names import qualified
from .objects.kinds import unqualified

if TYPE_CHECKING:
    from .dispatch import Dispatcher
    from .state import AppState, FunctionState

log = logging.getLogger("leveret.server")

RESTORED_KINDS = ("spawn", "schedule")   # calls read later by id; a map's or .remote()'s reader died with the server
NO_ARGS = pickle.dumps(((), {}), protocol=4)   # a scheduled call's arguments, as the SDK pickles them


class Deployments:
    def __init__(self, dispatcher: "Dispatcher"):
        self.d = dispatcher

    # ------------------------------------------------------------------ versions

    def named(self, store: Store, name: str, environment: str = ""):
        """The named object of the deployed app ``name`` (objects/apps.py): made, its name checked,
        by the first deploy; the same one for every version after. On the store's writer thread."""
        try:
            return self.d.objects.get_or_create(store, APP, name, environment, creation=IF_MISSING, owner=True)[0]
        except Invalid as exc:
            raise Invalid(f"{exc.message}; name the app with App('name') or `leveret deploy FILE --name NAME`") from None

    def live(self, name: str) -> "AppState | None":
        return next((a for a in self.d.apps.values() if a.name == name and a.state == "deployed"), None)

    async def publish(self, app_id: str, now: float) -> tuple[int, str]:
        """Make a deploying app the live version of its name; the previous live version drains.
        Returns (version, the replaced app's id or "")."""
        d = self.d
        app = d.apps.get(app_id)
        if app is None or app.state != "deploying":
            raise NotFound(f"app {app_id} is not being deployed (deploy with `leveret deploy FILE`)")
        old = self.live(app.name)
        scheduled = [(fn, fn.spec.schedule) for fn in app.functions if fn.spec.schedule]

        def publish(store: Store) -> list[tuple[float, float | None]]:
            with store.transaction():
                store.publish(app_id, old.app_id if old is not None else None)
                return [_schedule(store, app.name, fn.name, spec, now) for fn, spec in scheduled]

        ticks = await d.writes.run(publish)
        if app.stopped:
            raise NotFound(f"app {app_id} was stopped while it was being published")
        for (fn, _), (anchor, last_tick) in zip(scheduled, ticks):
            fn.anchor, fn.last_tick = anchor, last_tick
        app.state = "deployed"
        for fn in app.functions:
            d.placement.autoscale(fn, now)   # min_containers start now
        if old is not None:
            old.state = "draining"
            d.logs.system(old.app_id, "", "", f"replaced by version {app.version}: draining")
            if not any(not c.done for c in old.calls.values()):
                self.drained(old)
        d.logs.system(app.app_id, "", "", f"deployed {app.name} version {app.version}")
        return app.version, old.app_id if old is not None else ""

    def drained(self, app: "AppState") -> None:
        live = self.live(app.name)
        self.d.stop_app(app.app_id, f"replaced by version {live.version}" if live else "replaced")

    def current(self, fn: "FunctionState") -> "FunctionState":
        """The function a new call of ``fn`` runs on: the live version's, when ``fn``'s app drains."""
        app = self.d.apps.get(fn.app_id)
        if app is None or app.state != "draining":
            return fn
        live = self.live(app.name)
        successor = live.function(fn.name) if live is not None else None
        return successor or fn

    async def successor_of(self, function_id: str) -> "FunctionState | None":
        """For the id of a function of a deployed version that has stopped since (a caller looked it
        up before a redeploy): the function of the same name in the live version, if any."""
        found = await self.d.reads.run(_deployed_function, function_id)
        if found is None:
            return None   # no such function, or not of a deployed version: an ephemeral run's end with it
        app_name, name = found
        live = self.live(app_name)
        return live.function(name) if live is not None else None

    async def lookup(self, app_name: str, function_name: str, environment: str = "", version: int = 0) -> "FunctionState":
        """The live version's function of this name: the app's name is looked up as a named object
        (NotFound if none was ever deployed; an unknown environment is NotFound too), then its live
        version here."""
        await self.d.reads.run(self.d.objects.lookup, APP, app_name, environment)
        app_name = qualified(app_name, environment)   # (as the environment's apps are kept)
        app = self.live(app_name)
        if app is None:
            stored = await self.d.reads.run(Store.app_versions, app_name)
            if stored:
                raise NotFound(f"app {app_name!r} is not deployed now (version {stored[0]['version']} is"
                               f" {stored[0]['state']}): `leveret deploy` it, or `leveret app rollback {app_name}`")
            raise NotFound(f"no deployed app named {app_name!r}: deploy it with `leveret deploy FILE`")
        if version and version != app.version:
            raise NotFound(f"version {version} of app {app_name!r} is not running (version {app.version} is live): call"
                           f" the live one (no version=), or `leveret app rollback {app_name} {version}`")
        fn = app.function(function_name)
        if fn is None:
            names = ", ".join(f.name for f in app.functions) or "none"
            raise NotFound(f"deployed app {app_name!r} has no function or class {function_name!r} (it has: {names});"
                           f" was it deployed from this version of the file? `leveret app history {app_name}`")
        return fn

    async def rollback(self, name: str, version: int, now: float) -> tuple[str, int, int]:
        """Deploy again the functions of version ``version`` (0: the one before the live one) as a
        new version. Returns (app_id, new version, version rolled back to)."""
        versions = await self.d.reads.run(Store.app_versions, name)
        if not versions:
            raise NotFound(f"no deployed app named {name!r}")
        if version == 0:
            live = self.live(name)
            older = [v for v in versions if live is None or v["version"] < live.version]
            if live is not None and not older:
                raise NotFound(f"{name} version {live.version} is the first: there is none before it")
            target = older[0] if live is not None else versions[0]
        else:
            target = next((v for v in versions if v["version"] == version), None)
            if target is None:
                raise NotFound(f"{name} has no version {version}: `leveret app history {name}` lists them")
        plain, environment = unqualified(name)
        app_id, new_version = await self.d.create_app(plain, f"rollback to version {target['version']}", deploy=True,
                                                      environment=environment)
        for _, _, encoded in await self.d.reads.run(Store.functions_of, target["id"]):
            self.d.create_function(app_id, self.d.read_spec(encoded))
        await self.publish(app_id, now)
        return app_id, new_version, target["version"]

    # ------------------------------------------------------------------ restart

    async def restore(self, progress=None) -> int:
        """Bring back the deployed versions kept in the store, live and draining; return how many.
        ``progress(text)`` is told what it is doing (it may take a while: a backlog of spawned calls)."""
        from .state import AppState
        from .runs import restore_calls

        d = self.d
        apps = await d.reads.run(Store.apps_in_state, "deployed") + await d.reads.run(Store.apps_in_state, "draining")
        restored = []
        for info in apps:
            app = AppState(info["id"], info["name"], last_heartbeat=d.clock.time(), state="deploying",
                           version=info["version"])
            d.apps[app.app_id] = app
            for function_id, _, encoded in await d.reads.run(Store.functions_of, app.app_id):
                d.create_function(app.app_id, d.read_spec(encoded), function_id)
            app.state = "deployed"
            for fn in app.functions:
                if fn.schedule is not None and info["state"] == "deployed":   # a draining version's no longer fire
                    fn.anchor, fn.last_tick = await d.writes.run(
                        _schedule, app.name, fn.name, fn.spec.schedule, d.clock.time())
            restored.append((app, info["state"]))
        await restore_calls(d, [fn for app, _ in restored for fn in app.functions], RESTORED_KINDS, progress)
        for app, state in restored:
            if state == "draining":
                app.state = "draining"
                if not app.calls:
                    self.drained(app)
        return len(apps)


    # ------------------------------------------------------------------ schedules

    def fire_due(self, now: float) -> None:
        for fn in list(self.d.functions.values()):
            if fn.schedule is None or fn.firing:
                continue
            app = self.d.apps.get(fn.app_id)
            if app is None or app.stopped or app.state not in ("deployed", "ephemeral"):
                continue
            try:
                from . import cron   # here: croniter is slow to import, and only scheduled functions need it

                tick = cron.due_tick(fn.schedule, fn.last_tick, fn.anchor, now)
                if tick is not None and app.state == "ephemeral":
                    self._fire_in_run(app, fn, tick)
                elif tick is not None:
                    self._fire(app, fn, tick)
            except Exception:   # one schedule's trouble (e.g. the store) must not stop the others
                log.exception("schedule of %s/%s could not fire; it is tried again next tick", app.name, fn.name)

    def _fire_in_run(self, app: "AppState", fn: "FunctionState", tick: float) -> None:
        """A schedule of an ephemeral run (`leveret run`), as Modal fires them: from the run's start,
        its ticks kept in memory only — a deployed app of the same name keeps its own."""
        fn.last_tick = tick
        call = self.d.new_call(fn.function_id, "schedule", [(0, NO_ARGS, "")], 1)
        when = time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(tick))
        self.d.logs.system(app.app_id, fn.name, "", f"schedule: tick {when} fired as call {call.call_id}")

    def _fire(self, app: "AppState", fn: "FunctionState", tick: float) -> None:
        """Claim the tick and store its call (one transaction, on the writer), then queue the call;
        ``fn.firing`` meanwhile, so the next ticks do not fire it again."""
        call_id = new_id("fc")
        input_id = f"in-{call_id[3:]}-0"

        def claim(store: Store) -> bool:
            with store.transaction():   # the tick and its call are stored together, or neither
                claimed = store.claim_tick(app.name, fn.name, tick, call_id)
                if claimed:
                    store.create_call(call_id, fn.function_id, "schedule", 1, [(input_id, 0, NO_ARGS)])
                return claimed

        fn.firing = True
        self.d.writes.run(claim).add_done_callback(lambda stored: self._fired(app, fn, tick, call_id, stored))

    def _fired(self, app: "AppState", fn: "FunctionState", tick: float, call_id: str, stored) -> None:
        fn.firing = False
        if stored.cancelled():
            return
        if stored.exception() is not None:   # the tick fires on a later pass
            log.error("schedule of %s/%s could not fire; it is tried again next tick", app.name, fn.name,
                      exc_info=stored.exception())
            return
        fn.last_tick = tick   # only now: a failed write leaves the tick to fire on the next pass
        if not stored.result() or fn.function_id not in self.d.functions:
            return   # fired already (before a restart), or its app stopped meanwhile
        self.d.new_call(fn.function_id, "schedule", [(0, NO_ARGS, "")], 1, call_id, stored=True)
        when = time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(tick))
        self.d.logs.system(app.app_id, fn.name, "", f"schedule: tick {when} fired as call {call_id}")

    def describe_schedule(self, fn: "FunctionState", now: float) -> str:
        if fn.schedule is None:
            return ""
        from . import cron

        nxt = cron.next_tick(fn.schedule, max(now, fn.last_tick or 0.0, fn.anchor), fn.anchor)
        spec = json.dumps(fn.schedule, sort_keys=True)
        return f"{spec}; next tick {time.strftime('%Y-%m-%d %H:%M:%S %Z', time.localtime(nxt))}"


def _schedule(store: Store, app_name: str, function_name: str, spec: str, now: float) -> tuple[float, float | None]:
    """Record a function's schedule: (its anchor, its last tick fired)."""
    return store.set_schedule(app_name, function_name, spec, now), store.last_tick(app_name, function_name)


def _deployed_function(store: Store, function_id: str) -> tuple[str, str] | None:
    """(app name, function name) of a function of a deployed version (published), else None."""
    row = store.get_function(function_id)
    if row is None:
        return None
    app_id, name, _ = row
    info = store.get_app(app_id)
    if info is None or not any(v["id"] == app_id for v in store.app_versions(info["name"])):
        return None
    return info["name"], name
