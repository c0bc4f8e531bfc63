"""What a restarted server brings back of the calls its predecessor left unfinished; and runs
(ephemeral apps: a `leveret run`, a `with app.run()`), which outlive a server restart.

    server stops (or dies) ─▶ a run stays "ephemeral" in the store, its inputs and outputs stored
    next server starts ─▶ deployed apps' spawned and scheduled calls (deploy.py) and runs' calls of
        every kind (.remote, .map, .spawn) come back with their outputs so far; inputs without a
        final output are queued again
    a run's client reconnects ─▶ heartbeats, and its calls carry on (api/calls.py: a call is found
        by the id its client gave it)
    it does not come back ─▶ the run is stopped after APP_HEARTBEAT_TIMEOUT_S, as a silent client's is

A deploy that was in progress is dropped.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from .model import Input, Output
from .store import Store

if TYPE_CHECKING:
    from .dispatch import Dispatcher
    from .state import FunctionState

log = logging.getLogger("leveret.server")

RESTORE_PROGRESS_EVERY = 5000   # calls restored between two progress reports


async def restore_calls(d: "Dispatcher", functions: list["FunctionState"], kinds: tuple[str, ...],
                        progress=None) -> None:
    """Queue again the unfinished calls of ``kinds`` of ``functions``, calls of one input each
    (spawned, scheduled): one read for all their inputs, one per few hundred calls for the outputs
    of those that can have some."""
    by_id = {fn.function_id: fn for fn in functions}
    calls: dict[str, tuple["FunctionState", str, int | None, list[Input]]] = {}
    rows = await d.reads.run(Store.unfinished_inputs, list(by_id), kinds)
    for function_id, call_id, kind, total, _input_id, idx, args, blob in rows:
        calls.setdefault(call_id, (by_id[function_id], kind, total, []))[3].append(
            (idx, args, blob))
    if not calls:
        return
    if progress is not None:
        progress(f"restoring {len(rows)} input(s) of {len(calls)} spawned or scheduled call(s)")
    # Only a call with other inputs, or a generator's, can have outputs already.
    outputs = await d.reads.run(Store.outputs_of_calls, [
        call_id for call_id, (fn, _, total, inputs) in calls.items()
        if fn.spec.is_generator or total is None or total > len(inputs)])
    parents = await d.reads.run(Store.call_parents, list(calls))
    counts: dict[str, list[int]] = {}
    for n, (call_id, (fn, kind, total, inputs)) in enumerate(calls.items(), 1):
        d.restore_call(fn, call_id, kind, total, [Output(*r) for r in outputs.get(call_id, ())], inputs,
                       parents.get(call_id, ""))
        count = counts.setdefault(fn.function_id, [0, 0])
        count[0] += 1
        count[1] += len(inputs)
        if progress is not None and n % RESTORE_PROGRESS_EVERY == 0:
            progress(f"restored {n} of {len(calls)} call(s)")
    for function_id, (n_calls, n_inputs) in counts.items():
        log.info("restored %d call(s) of %s: %d input(s) queued again", n_calls, by_id[function_id].name, n_inputs)


async def restore_runs(d: "Dispatcher", progress=None) -> int:
    """Bring back the runs the previous server left running; return how many."""
    from .state import AppState

    apps = await d.reads.run(Store.apps_in_state, "ephemeral")
    if apps and progress is not None:
        progress(f"restoring {len(apps)} run(s)")
    for info in apps:
        app = AppState(info["id"], info["name"], last_heartbeat=d.clock.time(), state="ephemeral")
        d.apps[app.app_id] = app
        for function_id, _, encoded in await d.reads.run(Store.functions_of, app.app_id):
            d.create_function(app.app_id, d.read_spec(encoded), function_id)
        for fn in app.functions:
            opened = await d.reads.run(_open_calls, fn.function_id)
            parents = await d.reads.run(Store.call_parents, [call_id for call_id, *_ in opened])
            for call_id, kind, total, outputs, inputs in opened:
                d.restore_call(fn, call_id, kind, total, [Output(*r) for r in outputs], inputs, parents.get(call_id, ""))
                log.info("restored call %s of %s: %d input(s) queued again", call_id, fn.name, len(inputs))
    return len(apps)


def _open_calls(store: Store, function_id: str) -> list[tuple]:
    """Every call of a function that had not finished, (call_id, kind, total, its outputs' rows, its
    inputs without a final output): a map of many inputs too, each call's inputs and outputs read once."""
    found = []
    for call_id, kind, total in store.open_calls(function_id):
        done = store.finished_inputs(call_id)
        inputs = [(idx, args, blob) for input_id, idx, args, blob in store.call_inputs(call_id) if input_id not in done]
        found.append((call_id, kind, total, store.get_outputs(call_id, 0), inputs))
    return found
