"""A deployed function's secrets after a server restart: opened again from the store (under the
key file beside it) at its first container start. A cluster of its own: it restarts its server."""

import hashlib

import leveret
from leveret.testing import Cluster
from apps import secret_user


def test_a_deployed_functions_secret_survives_a_server_restart(tmp_path):
    with Cluster(tmp_path) as cluster:
        leveret.Secret.objects.create("cli-secret", {"API_KEY": "after-restart-1"})
        deployed = secret_user.app.deploy()
        expected = hashlib.sha256(b"after-restart-1").hexdigest()
        try:
            assert leveret.Function.from_name("secret-user", "digest").remote("API_KEY") == expected
            cluster.restart_server()
            assert not cluster.server.dispatcher.secrets.opened   # a new process: nothing opened yet
            assert leveret.Function.from_name("secret-user", "digest").remote("API_KEY") == expected
        finally:
            cluster.stop_app(deployed.app_id)
