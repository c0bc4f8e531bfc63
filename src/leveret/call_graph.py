"""The tree of calls made under a call, as ``FunctionCall.get_call_graph()`` returns it (Modal's
``modal.call_graph``): an ``InputInfo`` per input of the call, its ``children`` the inputs of the
calls its code made from inside its container, and so on down.

The server keeps the links (each call made from inside a container names the input whose code made
it), so the graph can be read while the calls run, after they finished, and after a restart, until
retention deletes them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from ._shared.status import OutputStatus as S


class InputStatus(enum.IntEnum):
    """What became of an input; PENDING while it has no result yet (queued or running)."""
    PENDING = 0
    SUCCESS = 1
    FAILURE = 2
    TERMINATED = 3
    TIMEOUT = 4
    INIT_FAILURE = 5

    @classmethod
    def _missing_(cls, value):
        return cls.PENDING


_FROM_OUTPUT = {
    0: InputStatus.PENDING, S.SUCCESS: InputStatus.SUCCESS, S.GENERATOR_DONE: InputStatus.SUCCESS,
    S.FAILURE: InputStatus.FAILURE, S.INTERNAL_FAILURE: InputStatus.FAILURE, S.OUT_OF_MEMORY: InputStatus.FAILURE,
    S.CANCELLED: InputStatus.TERMINATED, S.TIMEOUT: InputStatus.TIMEOUT,
}


@dataclass
class InputInfo:
    """One input in a call graph: ``task_id`` is the container that gave its result ('' until then)."""
    input_id: str
    function_call_id: str
    task_id: str
    status: InputStatus
    function_name: str
    module_name: str
    children: list["InputInfo"] = field(default_factory=list)


def reconstruct(rows) -> list[InputInfo]:
    """The call's inputs, each with its children, from the server's flat rows: (input_id, call_id,
    parent_input_id, function_id, function_name, module_name, status, container_id, idx), parents
    before children."""
    nodes: dict[str, InputInfo] = {}
    roots: list[InputInfo] = []
    for input_id, call_id, parent, _function_id, name, module, status, container, _idx in rows:
        node = InputInfo(input_id, call_id, container, _FROM_OUTPUT.get(status, InputStatus.PENDING), name, module)
        nodes[input_id] = node
        above = nodes.get(parent) if parent else None
        (above.children if above is not None else roots).append(node)
    return roots
