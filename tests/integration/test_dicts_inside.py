"""A Dict used from inside containers (through their worker, with the container's token) and from
the client, on the same entries."""

import pytest

import leveret
from apps import dict_user


@pytest.fixture(scope="module")
def running(cluster):
    with dict_user.app.run(show_logs=False):
        yield dict_user


def test_a_container_writes_what_the_client_reads_and_the_other_way(running):
    assert running.fill.remote("inside-1", 10) == 11
    d = leveret.Dict.from_name("inside-1")
    assert d[9] == 81 and d["from"] == "container"
    d["client"] = {"x": [1, 2]}
    assert running.read.remote("inside-1", "client") == ({"x": [1, 2]}, True, False, 12)
    assert running.read.remote("inside-1", "nope") == (None, False, True, 13)
    leveret.Dict.objects.delete("inside-1")


def test_many_containers_write_at_once(running):
    leveret.Dict.objects.create("inside-2")
    assert all(running.count_up.map(["inside-2"] * 40))
    assert len(leveret.Dict.from_name("inside-2")) == 40
    leveret.Dict.objects.delete("inside-2")


def test_a_container_cannot_delete_named_objects(running):
    leveret.Dict.objects.create("inside-3")
    said = running.try_delete.remote("inside-3")
    assert said.startswith("AuthError: ObjectDelete is not a request a container makes"), said
    assert leveret.Dict.from_name("inside-3").len() == 0   # still there
    leveret.Dict.objects.delete("inside-3")


def test_plain_calls_in_a_container_go_on_the_direct_connection_its_worker_opens(running, cluster):
    leveret.Dict.objects.create("inside-4")
    got, direct, asked = running.direct_path.remote("inside-4")
    assert got == (1, True, [2], True, 2, 1) and direct == "HandedClient" and asked == []
    assert dict(leveret.Dict.from_name("inside-4").items()) == {"b": [2]}
    leveret.Dict.objects.delete("inside-4")


def test_without_a_direct_port_the_calls_go_as_frames(running, cluster, monkeypatch):
    monkeypatch.setattr(cluster.agent, "direct_addresses", [])   # as a worker the server told no port
    leveret.Dict.objects.create("inside-5")
    got, direct, asked = running.frames_path.remote("inside-5")
    assert got == (1, True, [2], True, 2, 1) and direct is None
    assert asked == ["DictGet", "DictUpdate", "DictGet", "DictGet", "DictLen", "DictGet"]   # the first: refused direct
    leveret.Dict.objects.delete("inside-5")


def test_a_container_calls_the_server_on_the_connection_its_worker_hands_it_and_is_told_whether_to_poll(running):
    import os

    from leveret._shared.direct_frames import SPIN_S

    polls, refusal = running.direct_said.remote()
    assert refusal == (12, "ObjectList is not served on the direct port: call it by gRPC")   # the server's UNIMPLEMENTED
    assert polls == (SPIN_S > 0 and len(os.sched_getaffinity(0)) > 1)   # (a container of less than a core: crun's test)
    leveret.Dict.objects.delete("direct-probe")
