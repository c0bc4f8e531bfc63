"""Function and App API on deployed apps, each test on a cluster of its own: update_autoscaler,
from_name(version=), App.lookup(create_if_missing=)."""

import pytest

import leveret
from apps import api_extras
from leveret.testing import Cluster


def test_update_autoscaler_changes_a_deployed_functions_warm_containers(tmp_path):
    with Cluster(tmp_path, max_containers=6) as cluster:
        api_extras.app.deploy(name="extras")
        f = leveret.Function.from_name("extras", "warm")
        assert f.remote(1) == 1
        f.update_autoscaler(min_containers=3)
        cluster.wait_for(lambda d: len(cluster.function("extras", "warm").containers) == 3, timeout=30)
        assert "autoscaler updated: min_containers=3" in [e.text for e in cluster.function("extras", "warm").events][-2]
        f.update_autoscaler(min_containers=0, scaledown_window=1)
        cluster.wait_for(lambda d: len(cluster.function("extras", "warm").containers) == 0, timeout=30)
        with pytest.raises(leveret.InvalidError, match="max_containers=0\\) must be a whole number of at least 1"):
            f.update_autoscaler(max_containers=0)


def test_from_name_with_a_version_reaches_only_the_live_one(tmp_path):
    with Cluster(tmp_path):
        first = api_extras.app.deploy(name="versions")
        second = api_extras.app.deploy(name="versions")
        assert (first.version, second.version) == (1, 2)
        assert leveret.Function.from_name("versions", "echo", version=2).remote(3) == 3
        with pytest.raises(leveret.NotFoundError, match="version 1 of app 'versions' is not running \\(version 2 is live\\)"):
            leveret.Function.from_name("versions", "echo", version=1).remote(3)


def test_app_lookup_finds_a_deployed_app_or_makes_one(tmp_path):
    with Cluster(tmp_path):
        deployed = api_extras.app.deploy(name="looked-up")
        assert leveret.App.lookup("looked-up").app_id == deployed.app_id
        with pytest.raises(leveret.NotFoundError, match="no deployed app named 'nowhere'"):
            leveret.App.lookup("nowhere")
        made = leveret.App.lookup("nowhere", create_if_missing=True)
        assert made.app_id.startswith("ap-") and leveret.App.lookup("nowhere").app_id == made.app_id
