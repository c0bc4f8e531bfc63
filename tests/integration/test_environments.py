"""Environments: namespaces of named objects and deployed apps. "main" is every server's; others are
made with `leveret environment create`, chosen with environment_name=, --env or LEVERET_ENVIRONMENT,
and an app deployed in one is apart from one of the same name elsewhere (kept as NAME@ENV)."""

import os
import subprocess
import sys

import pytest

import leveret
from apps import basic
from leveret.exception import NotFoundError
from leveret.testing import Cluster


def cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "leveret.cli", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


@pytest.fixture
def cluster_here(tmp_path):
    with Cluster(tmp_path) as c:
        yield c


def test_environments_are_made_listed_and_named_as_objects_are(cluster_here):
    assert cli("environment", "list").stdout.split() == ["main", "(the", "default)"]
    made = cli("environment", "create", "staging")
    assert made.returncode == 0 and "created environment staging" in made.stdout
    assert [line.split()[0] for line in cli("environment", "list").stdout.splitlines()] == ["main", "staging"]
    again = cli("environment", "create", "staging")
    assert again.returncode == 1 and "there is an environment named 'staging' already" in again.stderr
    bad = cli("environment", "create", "no spaces")
    assert bad.returncode == 1 and "environment name 'no spaces' is not valid" in bad.stderr


def test_named_objects_live_in_their_environment(cluster_here):
    assert cli("environment", "create", "staging").returncode == 0
    leveret.Dict.from_name("settings", environment_name="staging", create_if_missing=True)["mode"] = "staging"
    leveret.Dict.from_name("settings", create_if_missing=True)["mode"] = "main"
    assert leveret.Dict.from_name("settings", environment_name="staging")["mode"] == "staging"
    assert leveret.Dict.from_name("settings")["mode"] == "main"
    with pytest.raises(NotFoundError, match="no environment named 'prod'.*leveret environment create prod"):
        leveret.Dict.from_name("settings", environment_name="prod")["mode"]


def test_an_app_deployed_in_an_environment_is_apart_from_the_same_name_in_main(cluster_here, monkeypatch):
    assert cli("environment", "create", "staging").returncode == 0
    staged = basic.app.deploy(environment_name="staging")
    assert leveret.Function.from_name(basic.app.name, "square", environment_name="staging").remote(4) == 16
    with pytest.raises(NotFoundError, match="no deployed app named"):
        leveret.Function.from_name(basic.app.name, "square").remote(4)   # not in main
    basic.app.deploy()
    assert leveret.Function.from_name(basic.app.name, "square").remote(5) == 25
    listed = cli("app", "list", "--env", "staging").stdout
    assert f"{basic.app.name}@staging" in listed and staged.app_id in listed and listed.count(basic.app.name) == 1
    monkeypatch.setenv("LEVERET_ENVIRONMENT", "staging")   # the default for what names none
    fn = leveret.Function.from_name(basic.app.name, "square")
    assert fn.remote(6) == 36 and fn.object_id in {f.function_id for f in cluster_here.dispatcher.apps[staged.app_id].functions}
    stopped = cli("app", "stop", f"{basic.app.name}@staging")
    assert stopped.returncode == 0 and staged.app_id in stopped.stdout


def test_deploy_takes_env_and_an_unknown_one_says_how_to_make_it(cluster_here, tmp_path):
    app_file = tmp_path / "envapp.py"
    app_file.write_text("import leveret\napp = leveret.App('envapp')\n\n@app.function()\ndef f(x):\n    return x + 1\n")
    missing = cli("deploy", "--env", "qa", str(app_file))
    assert missing.returncode == 1 and "no environment named 'qa'" in missing.stderr
    assert "leveret environment create qa" in missing.stderr
    assert cli("environment", "create", "qa").returncode == 0
    done = cli("deploy", "--env", "qa", str(app_file))
    assert done.returncode == 0, done.stderr
    assert leveret.Function.from_name("envapp", "f", environment_name="qa").remote(1) == 2


def test_code_in_a_container_means_its_apps_environment(cluster_here):
    from apps import env_user

    assert cli("environment", "create", "staging").returncode == 0
    leveret.Dict.from_name("settings", environment_name="staging", create_if_missing=True)["mode"] = "staging"
    leveret.Dict.from_name("settings", create_if_missing=True)["mode"] = "main"
    env_user.app.deploy(environment_name="staging")
    env_user.app.deploy()
    staged = leveret.Function.from_name("env-user", "via_lookup", environment_name="staging")
    assert staged.remote() == "staging"   # the Dict and the function it looked up: staging's
    assert leveret.Function.from_name("env-user", "via_lookup").remote() == "main"


def test_sandboxes_are_found_and_listed_by_their_apps_environment(cluster_here):
    from leveret.exception import InvalidError

    assert cli("environment", "create", "staging").returncode == 0
    staged = leveret.App.lookup("boxes", environment_name="staging", create_if_missing=True)
    main = leveret.App.lookup("boxes", create_if_missing=True)
    assert staged.app_id != main.app_id
    in_staging = leveret.Sandbox.create("sleep", "60", app=staged, name="box", environment_name="staging")
    in_main = leveret.Sandbox.create("sleep", "60", app=main, name="box")
    try:
        assert leveret.Sandbox.from_name("boxes", "box", environment_name="staging").object_id == in_staging.object_id
        assert leveret.Sandbox.from_name("boxes", "box").object_id == in_main.object_id
        assert [sb.object_id for sb in leveret.Sandbox.list(environment_name="staging")] == [in_staging.object_id]
        assert {sb.object_id for sb in leveret.Sandbox.list()} == {in_staging.object_id, in_main.object_id}
        with pytest.raises(InvalidError, match="app 'boxes' is in environment 'main', not 'staging'"):
            leveret.Sandbox.create("sleep", "1", app=main, environment_name="staging")
    finally:
        in_staging.terminate()
        in_main.terminate()


def test_the_cli_of_named_objects_takes_the_configured_environment(cluster_here):
    assert cli("environment", "create", "staging").returncode == 0
    staging = {"LEVERET_ENVIRONMENT": "staging"}
    made = cli("secret", "create", "api", "KEY=staged", env=staging)
    assert made.returncode == 0, made.stderr
    assert [line.split()[0] for line in cli("secret", "list", env=staging).stdout.splitlines()[1:]] == ["api"]
    assert "api" not in cli("secret", "list").stdout   # not main's
    assert cli("secret", "list", "--env", "staging").stdout.count("api") == 1   # --env names it as well
    assert cli("dict", "create", "cfg", env=staging).returncode == 0
    assert "cfg" in cli("dict", "list", "--env", "staging").stdout and "cfg" not in cli("dict", "list").stdout
