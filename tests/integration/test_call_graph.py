"""FunctionCall.get_call_graph: the tree of calls made from inside containers under a call, with
each input's status, read from the server's store (a real server, worker and container processes)."""

import time

import pytest

import leveret
from leveret.call_graph import InputInfo, InputStatus
from apps import call_graph


def wait_for(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_the_graph_is_read_after_the_app_stopped(cluster):
    """Links are stored: a stopped run's calls keep their tree (until retention deletes them)."""
    with call_graph.app.run(show_logs=False):
        call = call_graph.middle.spawn(3)
        assert call.get() == 6
    [root] = call.get_call_graph()
    assert (root.function_name, root.status) == ("middle", InputStatus.SUCCESS)
    assert [c.status for c in root.children] == [InputStatus.SUCCESS] * 3


@pytest.fixture(scope="module")
def running(cluster):
    with call_graph.app.run(show_logs=False):
        yield call_graph


def names(node: InputInfo) -> tuple:
    return (node.function_name, node.status.name, [names(c) for c in node.children])


def test_three_levels_of_fan_out_make_a_three_level_tree(running):
    call = running.top.spawn(3)
    assert call.get() == 1 + 3 + 6
    [root] = call.get_call_graph()
    assert names(root) == ("top", "SUCCESS", [
        ("middle", "SUCCESS", [("leaf", "SUCCESS", [])] * n) for n in (1, 2, 3)])
    assert root.function_call_id == call.object_id and root.module_name == "apps.call_graph"
    assert root.task_id.startswith("ct-")   # the container that ran it
    middles = root.children
    assert len({m.function_call_id for m in middles}) == 1   # one map: one call
    assert len({leaf.function_call_id for m in middles for leaf in m.children}) == 3   # a map each
    assert len({n.input_id for m in middles for n in [m, *m.children]}) == 3 + 6


def test_each_input_has_its_own_status(running):
    call = running.mixed.spawn()
    assert call.get() == 2
    [root] = call.get_call_graph()
    assert sorted((c.function_name, c.status) for c in root.children) == [
        ("fails", InputStatus.FAILURE), ("leaf", InputStatus.SUCCESS)]


def test_a_running_child_is_pending_and_a_cancelled_one_terminated(running):
    call = running.leaves_running.spawn(60)
    child_id = call.get()
    [root] = call.get_call_graph()
    [child] = root.children   # the parent finished; what it spawned goes on
    assert (root.status, child.status, child.function_call_id) == (InputStatus.SUCCESS, InputStatus.PENDING, child_id)
    leveret.FunctionCall.from_id(child_id).cancel()
    wait_for(lambda: call.get_call_graph()[0].children[0].status == InputStatus.TERMINATED)


def test_a_call_without_nested_calls_is_its_inputs(running):
    call = running.leaf.spawn(1)
    call.get()
    [root] = call.get_call_graph()
    assert (root.function_name, root.status, root.children) == ("leaf", InputStatus.SUCCESS, [])


def test_a_container_reads_its_own_calls_graph(running):
    assert running.own_graph.remote(3) == ("own_graph", "PENDING", True, [("leaf", "SUCCESS", True)] * 3)


def test_an_unknown_call_is_not_found(running):
    with pytest.raises(leveret.exception.NotFoundError, match="fc-nosuchcall"):
        leveret.FunctionCall.from_id("fc-nosuchcall").get_call_graph()
