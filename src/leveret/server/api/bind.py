"""FunctionBind: a copy of a function that differs in its parameters (an @app.cls's, ``Model(size=2)``)
or its options (``with_options``, ``with_concurrency``, ``with_batching``). It is a function of its
own in the same app, with containers of its own, named after what differs (``Model(size=2)``,
``f[cpu=2.0]``), made at its first call and found again by that name after."""

from __future__ import annotations

import hashlib
import json

from google.protobuf import json_format

from ..._shared import params
from ..._shared.errors import InvalidError
from ..._wire import api_pb2 as pb
from ..model import FunctionSpec
from .convert import definition, function_spec

# What with_options may change (FunctionDefinition's field names).
OPTIONS = frozenset({
    "cpu", "cpu_request", "memory_mb", "memory_request_mb", "gpu_type", "gpu_count", "timeout_s", "retries",
    "max_containers", "min_containers", "buffer_containers", "scaledown_window_s", "secret_ids", "selector",
    "max_inputs", "target_inputs", "startup_timeout_s", "batch_max_size", "batch_wait_ms",
})
NAME_MAX = 120


def bound_spec(base: FunctionSpec, params_text: str, options_text: str) -> FunctionSpec:
    """``base`` with these parameters and options; InvalidError naming what cannot be."""
    d = definition(base)
    if params_text and not base.class_name:
        raise InvalidError(f"{base.name} is a function, not an @app.cls: it takes no parameters")
    if base.params or d.params or "[" in base.name:
        raise InvalidError(f"{base.name} is bound already: bind the function it was made from")
    name = params.bound_name(base.name, params_text) if params_text else base.name
    d.params = params_text
    if options_text:
        try:
            changes = json.loads(options_text)
        except ValueError as exc:
            raise InvalidError(f"options are not JSON: {exc}") from None
        if not isinstance(changes, dict) or set(changes) - OPTIONS:
            unknown = sorted(set(changes) - OPTIONS) if isinstance(changes, dict) else [options_text[:40]]
            raise InvalidError(f"with_options cannot change {unknown[0]!r}")
        try:
            partial = json_format.ParseDict(changes, pb.FunctionDefinition())
        except json_format.ParseError as exc:
            raise InvalidError(f"options: {exc}") from None
        for field in sorted(changes):
            if field == "selector":
                d.selector.update(partial.selector)
            elif field == "secret_ids":   # added to the function's, as Modal's with_options(secrets=) does
                d.secret_ids.extend(partial.secret_ids)
            elif field == "retries":
                d.retries.CopyFrom(partial.retries)
            else:
                setattr(d, field, getattr(partial, field))
        shown = ",".join(f"{k}={v}" for k, v in sorted(changes.items()))
        suffix = f"[{shown}]" if len(shown) <= NAME_MAX else f"[#{hashlib.sha256(options_text.encode()).hexdigest()[:16]}]"
        name += suffix
    if d.max_inputs > 1 and d.batch_max_size:
        raise InvalidError(f"{base.name}: with_concurrency and with_batching (or @concurrent and @batched) do not go"
                           " together: a batch is already many inputs in one call; keep one of them")
    if not d.class_name:   # the copy goes by a name of its own; its container imports the function's
        d.import_name = d.import_name or d.name
    d.name = name
    return function_spec(d)
