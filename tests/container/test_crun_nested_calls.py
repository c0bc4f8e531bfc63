"""Calls made from inside real crun containers on the default image, which has neither gRPC nor
protobuf: they go through the worker over the container's socket."""

import pytest
from crun import crun_cluster_running

from apps import nested, nested_target

pytestmark = pytest.mark.container


@pytest.fixture(scope="module")
def crun_cluster(tmp_path_factory):
    yield from crun_cluster_running(tmp_path_factory, "crun-nested", nested.app, deploy=[nested_target.app])


def test_the_image_has_no_grpc_or_protobuf(crun_cluster):
    assert nested.modules_found.remote(["grpc", "google.protobuf"]) == {"grpc": False, "google.protobuf": False}


def test_nested_remote_spawn_and_get_in_crun(crun_cluster):
    assert nested.remote_sum.remote(5) == sum(range(1, 6))
    assert nested.fan_out.remote(4) == [1, 2, 3, 4]
    assert nested.two_levels.remote(3) == sum(range(1, 4)) + 101


def test_a_deployed_function_by_name_from_inside_crun(crun_cluster):
    assert nested.by_name.remote("nested-target", "triple", 7) == 21


def test_the_remote_exception_is_raised_inside_the_crun_caller(crun_cluster):
    assert nested.catches.remote(2) == "caught Boom: boom 2"


def test_a_map_and_a_generator_from_inside_crun(crun_cluster):
    assert nested.square_sum.remote(30) == sum(i * i for i in range(30))
    assert nested.gathers_generator.remote(3) == [3, 2, 1]
