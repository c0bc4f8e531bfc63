"""A Dict from inside real crun containers, whose image has neither gRPC nor protobuf: the requests
go through the worker over the container's socket (a plain call: on a direct connection, the
messages written without protobuf)."""

import pytest
from crun import crun_cluster_running

import leveret
from apps import dict_user

pytestmark = pytest.mark.container


@pytest.fixture(scope="module")
def crun_cluster(tmp_path_factory):
    yield from crun_cluster_running(tmp_path_factory, "crun-dicts", dict_user.app)


def test_a_dict_from_inside_crun(crun_cluster):
    assert dict_user.fill.remote("crun-dict", 5) == 6
    assert leveret.Dict.from_name("crun-dict")[4] == 16
    assert dict_user.read.remote("crun-dict", "from") == ("container", True, False, 6)


def test_plain_calls_go_on_the_direct_connection_without_protobuf_in_the_image(crun_cluster):
    leveret.Dict.objects.create("crun-direct")
    got, direct, asked = dict_user.direct_path.remote("crun-direct")
    assert got == (1, True, [2], True, 2, 1) and direct == "HandedClient" and asked == []
    leveret.Dict.objects.delete("crun-direct")


def test_a_container_of_less_than_a_core_does_not_poll_for_replies(crun_cluster):
    polls, refusal = dict_user.direct_said_half_a_core.remote()
    assert not polls and refusal[0] == 12   # it sleeps at once: polling would spend its share of a core
    leveret.Dict.objects.delete("direct-probe")


def test_a_container_without_network_still_calls_on_the_connection_it_is_handed(crun_cluster):
    leveret.Dict.objects.create("crun-no-network")
    got, direct, asked = dict_user.direct_path_without_network.remote("crun-no-network")
    assert got == (1, True, [2], True, 2, 1) and direct == "HandedClient" and asked == []
    leveret.Dict.objects.delete("crun-no-network")
