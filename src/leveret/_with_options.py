"""``with_options``, ``with_concurrency``, ``with_batching`` on a Function or Cls: a copy that runs
with other options. The server makes it a function of its own (FunctionBind, the options as JSON of
FunctionDefinition fields), with containers of its own, at its first call.

    f.with_options(cpu=2, timeout=600).remote(x)
    Model.with_options(gpu="A100")(size=2).predict.remote(x)   # repeated calls merge, as Modal's do
"""

from __future__ import annotations

import json

from . import _concurrency, _function_options
from .exception import InvalidError

NOT_YET = {"volumes": "volumes on a copy: mount them in @app.function(volumes=...)", "cloud": "cloud placement", "routing_region": "routing regions"}


def option_changes(name: str, *, cpu=None, memory=None, gpu=None, env=None, secrets=None, volumes=None,
                   retries=None, max_containers=None, buffer_containers=None, min_containers=None,
                   scaledown_window=None, timeout=None, region=None, cloud=None, routing_region=None) -> dict:
    """What ``with_options(...)`` changes, as FunctionDefinition fields (checked as @app.function's are)."""
    for option, value in (("volumes", volumes), ("cloud", cloud), ("routing_region", routing_region)):
        if value:
            raise _function_options.NotImplementedOptionError(
                f"{name}.with_options({option}=...) is not supported yet (it comes with {NOT_YET[option]})")
    if env is not None and (not isinstance(env, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                                 for k, v in env.items())):
        raise InvalidError(f"{name}.with_options(env=...) takes a dict of str to str, not {env!r}")
    opts = _function_options.validate(name, serialized=False, scaledown_window=scaledown_window,
                                      max_containers=max_containers, cpu=cpu, memory=memory, timeout=timeout,
                                      secrets=secrets, retries=retries, min_containers=min_containers,
                                      buffer_containers=buffer_containers, region=region, gpu=gpu, unset={})
    changes: dict = {}
    if cpu is not None:
        changes.update(cpu=opts.cpu, cpu_request=opts.cpu_request)
    if memory is not None:
        changes.update(memory_mb=opts.memory_mb, memory_request_mb=opts.memory_request_mb)
    if gpu is not None:
        changes.update(gpu_type=opts.gpu_type, gpu_count=opts.gpu_count)
    if timeout is not None:
        changes["timeout_s"] = opts.timeout
    if retries is not None:
        r = opts.retries
        changes["retries"] = {"max_retries": r.max_retries, "backoff_coefficient": r.backoff_coefficient,
                              "initial_delay_s": r.initial_delay, "max_delay_s": r.max_delay}
    for option, field, value in (("max_containers", "max_containers", max_containers),
                                 ("buffer_containers", "buffer_containers", buffer_containers),
                                 ("min_containers", "min_containers", min_containers),
                                 ("scaledown_window", "scaledown_window_s", scaledown_window)):
        if value is not None:
            changes[field] = getattr(opts, option)
    if secrets or env:   # added to the function's; ids once bound (resolved)
        from .secret import Secret

        changes["secrets"] = [*opts.secrets, *([Secret.from_dict(env)] if env else [])]
    if region is not None:
        changes["selector"] = {"region": opts.region}
    return changes


def concurrency_changes(max_inputs: int, target_inputs: int | None) -> dict:
    _concurrency.concurrent(max_inputs=max_inputs, target_inputs=target_inputs)   # checks them
    return {"max_inputs": max_inputs, "target_inputs": target_inputs or max_inputs}


def batching_changes(max_batch_size: int, wait_ms: int) -> dict:
    _concurrency.batched(max_batch_size=max_batch_size, wait_ms=wait_ms)   # checks them
    return {"batch_max_size": max_batch_size, "batch_wait_ms": wait_ms}


async def text(changes: dict, client) -> str:
    """The options as the server takes them ("" for none): secrets by their ids on ``client``'s server."""
    if "secrets" in changes:
        from .secret import secret_ids

        changes = {**changes, "secret_ids": await secret_ids(changes["secrets"], client)}
        del changes["secrets"]
    return json.dumps(changes, sort_keys=True, separators=(",", ":")) if changes else ""
