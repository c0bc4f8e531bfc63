"""What a container may reach with its token: the calls its function's code makes (`.remote`,
`.map`, `.spawn`, `Function.from_name` from inside a container, relayed by its worker).

    a container's token ─▶ its container (alive) ─▶ its app
    a function it calls: one of that app's, or one of a deployed app's    else refused, saying why
    a call it reads or cancels: a call of such a function

The token itself is checked by auth.py (and which RPCs it may make, by main.py's interceptor);
this module says, for a token that is valid, whether the thing asked for is in its reach. The
server's own token reaches everything (``container_id`` ""): these checks pass it through.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import NotFound

if TYPE_CHECKING:
    from .dispatch import Dispatcher
    from .state import AppState, FunctionState


class WouldWaitForever(Exception):
    """A call a function makes of itself that could never run: FAILED_PRECONDITION, naming the fix."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class OutOfScope(Exception):
    """A container's token asked for what is not its app's nor deployed: PERMISSION_DENIED."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def caller_app(d: "Dispatcher", container_id: str) -> "AppState":
    """The app of the container whose token made the call; OutOfScope once it has ended."""
    ct = d.containers.get(container_id)
    app = d.apps.get(ct.function.app_id) if ct is not None else None
    if app is None or app.stopped:
        raise OutOfScope(f"container {container_id} has ended: its token no longer makes calls")
    return app


def check_function(d: "Dispatcher", container_id: str, fn: "FunctionState") -> None:
    """A container may call the functions of its own app and those of deployed apps."""
    if not container_id:
        return
    app = caller_app(d, container_id)
    if fn.app_id == app.app_id:
        return
    target = d.apps.get(fn.app_id)
    if target is not None and target.deployed:
        return
    raise OutOfScope(f"function {fn.function_id} belongs to another app, which is not deployed: a container"
                     " calls its own app's functions, or deployed ones (Function.from_name)")


def own_function(d: "Dispatcher", container_id: str, name: str) -> "FunctionState":
    """The function named ``name`` of the caller's own app (a Function of its app, called from inside)."""
    app = caller_app(d, container_id)
    fn = app.function(name)
    if fn is None:
        names = ", ".join(f.name for f in app.functions) or "none"
        raise NotFound(f"app {app.name or app.app_id} has no function {name!r} (it has: {names})")
    return fn


def parent_input(d: "Dispatcher", container_id: str, input_id: str) -> str:
    """The input a container's call says it was made by, if that container runs it ("" otherwise:
    a call made between inputs, or an input it does not hold, is nobody's child)."""
    r = d.inputs.get(input_id) if container_id and input_id else None
    return input_id if r is not None and r.container is not None and r.container.container_id == container_id else ""


def check_self_call(d: "Dispatcher", fn: "FunctionState", parent: str) -> None:
    """A function that calls itself from inside (``parent``: the calling input, one of its own)
    waits on a slot of its own: refused when every slot it may ever have (max_containers ×
    @concurrent max_inputs, when max_containers is set) would be held by an input waiting on
    such a call, for then none would ever run."""
    r = d.inputs.get(parent) if parent else None
    if r is None or r.call.function_id != fn.function_id or not fn.spec.max_containers:
        return
    slots = fn.spec.max_containers * max(fn.spec.max_inputs, 1)
    waiting = d.children.waiting_on(fn.function_id) | {parent}
    if len(waiting) >= slots:
        raise WouldWaitForever(
            f"{fn.spec.name} calls itself from inside its container, and all {slots} of its slot(s)"
            f" (max_containers={fn.spec.max_containers} × max_inputs={max(fn.spec.max_inputs, 1)}) would be held"
            " by inputs waiting on such calls: it would never run. Raise max_containers, let a container"
            f" run several inputs with @leveret.concurrent, or run it here with {fn.spec.name}.local()")
