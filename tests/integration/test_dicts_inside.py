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
