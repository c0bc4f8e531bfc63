"""Runs (ephemeral apps: a `leveret run`, a `with app.run()`) outlive a server restart.

    server stops (or dies) ─▶ the run stays "ephemeral" in the store, its inputs and outputs stored
    next server starts ─▶ restore_runs: the app, its functions, its unfinished calls (every kind:
        .remote, .map, .spawn) with their outputs so far, unfinished inputs queued again
    its client reconnects ─▶ heartbeats, and its calls carry on (api/calls.py: a call is found by
        the id its client gave it)
    its client does not come back ─▶ stopped after APP_HEARTBEAT_TIMEOUT_S, as a silent client's app is

Deployed apps are restored by deploy.py; a deploy that was in progress is dropped.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from .._wire import api_pb2 as pb

if TYPE_CHECKING:
    from .dispatch import Dispatcher

log = logging.getLogger("leveret.server")


def restore_runs(d: "Dispatcher") -> int:
    """Bring back the runs the previous server left running; return how many."""
    from .dispatch import AppState

    apps = d.store.apps_in_state("ephemeral")
    for info in apps:
        app = AppState(info["id"], info["name"], last_heartbeat=time.time(), state="ephemeral")
        d.apps[app.app_id] = app
        for function_id, _, definition in d.store.functions_of(app.app_id):
            d.create_function(app.app_id, pb.FunctionDefinition.FromString(definition), function_id)
        for fn in app.functions:
            restore_calls(d, fn, kinds=None)
    return len(apps)


def restore_calls(d: "Dispatcher", fn, kinds: tuple[str, ...] | None) -> None:
    """Queue again the unfinished calls of ``fn`` (of ``kinds``; None: every kind), with their
    outputs so far; a call whose inputs were still coming is restored even when all it had finished."""
    calls: dict[str, tuple[str, int | None, list[pb.Input]]] = {}
    for call_id, kind, total, _input_id, idx, args, blob in d.store.unfinished_inputs(fn.function_id):
        if kinds is None or kind in kinds:
            calls.setdefault(call_id, (kind, total, []))[2].append(pb.Input(idx=idx, args=args, args_blob_id=blob))
    if kinds is None:
        for call_id, kind in d.store.open_calls(fn.function_id):
            calls.setdefault(call_id, (kind, None, []))
    for call_id, (kind, total, inputs) in calls.items():
        outputs = [pb.Output(idx=i, status=st, data=data, gen_index=g, message=m, data_blob_id=b)
                   for i, st, data, g, m, b in d.store.get_outputs(call_id, 0)]
        d.restore_call(fn, call_id, kind, total, outputs, inputs)
        log.info("restored call %s of %s: %d input(s) queued again", call_id, fn.name, len(inputs))
