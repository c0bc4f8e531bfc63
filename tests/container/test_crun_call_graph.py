"""FunctionCall.get_call_graph from inside a real crun container (the image has no gRPC: the graph
comes through the worker over the container's socket) and from the client."""

import pytest
from crun import crun_cluster_running

from apps import call_graph

pytestmark = pytest.mark.container


@pytest.fixture(scope="module")
def crun_cluster(tmp_path_factory):
    yield from crun_cluster_running(tmp_path_factory, "crun-call-graph", call_graph.app)


def test_a_crun_container_reads_its_own_calls_graph(crun_cluster):
    assert call_graph.own_graph.remote(2) == ("own_graph", "PENDING", True, [("leaf", "SUCCESS", True)] * 2)


def test_the_client_reads_the_graph_of_a_fan_out_in_crun(crun_cluster):
    call = call_graph.top.spawn(2)
    assert call.get() == 1 + 3
    [root] = call.get_call_graph()
    assert [len(m.children) for m in root.children] == [1, 2]
    assert all(c.task_id.startswith("ct-") for m in root.children for c in [m, *m.children])
