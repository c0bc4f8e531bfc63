"""Users' tokens with a scope (admin, deploy, run, read-only): each reaches what its scope allows and
is refused the rest naming the scope it needs; revoking one refuses it at once, ends the calls open
with it, and closes its direct-port connections."""

import contextlib
import os
import subprocess
import threading
import time

import pytest
from _http import fetch

import leveret
from apps import api_extras
from e2e.procs import leveret_cmd
from leveret import _client
from leveret._shared.aio import run_sync
from leveret.testing import Cluster

SCOPES = ("admin", "deploy", "run", "read-only")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with Cluster(tmp_path_factory.mktemp("scopes")) as c:
        api_extras.app.deploy(name="scoped")
        leveret.Dict.from_name("scoped-dict", create_if_missing=True)["k"] = "v"
        yield c


def token(cluster, scope: str) -> tuple[str, str]:
    return run_sync(cluster.server.tokens.create(f"user-{scope}", scope=scope))


@contextlib.contextmanager
def using(secret: str):
    saved = os.environ["LEVERET_TOKEN"]
    os.environ["LEVERET_TOKEN"] = secret
    _client.reset()
    try:
        yield
    finally:
        os.environ["LEVERET_TOKEN"] = saved
        _client.reset()


def run_an_app():
    with api_extras.app.run(show_logs=False):
        return api_extras.echo.remote(1)


def deploy():
    return api_extras.app.deploy(name="scoped").version


def make_a_token():
    return subprocess.run(leveret_cmd("token", "create", "someone", "--scope", "run"), capture_output=True,
                          text=True, timeout=60, check=True).stdout


# (what, how, the narrowest scope that may, the refusal's words for the scope below it)
ACTIONS = [
    ("read", lambda: leveret.Function.from_name("scoped", "echo").get_current_stats().num_total_runners >= 0,
     "read-only", None),
    ("read a Dict", lambda: leveret.Dict.from_name("scoped-dict")["k"] == "v", "read-only", None),
    ("call", lambda: leveret.Function.from_name("scoped", "echo").remote(2) == 2, "run",
     "a read-only token may not call FunctionRemote: that needs a run token"),
    ("run an app", lambda: run_an_app() == 1, "run", "a read-only token may not call AppCreate: that needs a run token"),
    ("create a Dict", lambda: leveret.Dict.from_name("made-by-scope", create_if_missing=True).len() >= 0, "run",
     "a read-only token may not create a dict: that needs a run token"),
    ("deploy", lambda: deploy() > 1, "deploy", "a run token may not deploy an app: that needs a deploy token"),
    ("name a secret", lambda: leveret.Secret.objects.create("scoped-secret", {"A": "1"}, allow_existing=True) is None
     or True, "deploy", "a run token may not create or overwrite a named secret: that needs a deploy token"),
    ("make a token", lambda: "run token" in make_a_token(), "admin",
     "a deploy token may not call WorkerTokenCreate: that needs an admin token"),
]


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("what, action, needs, refused", ACTIONS, ids=[a[0] for a in ACTIONS])
def test_a_scope_reaches_what_it_allows_and_is_refused_the_rest_naming_the_scope_needed(
        cluster, scope, what, action, needs, refused):
    _, secret = token(cluster, scope)
    with using(secret):
        if SCOPES.index(scope) <= SCOPES.index(needs):
            assert action()
        elif SCOPES.index(scope) == SCOPES.index(needs) + 1:   # the scope just below: the refusal's words
            with pytest.raises((leveret.exception.AuthError, subprocess.CalledProcessError)) as caught:
                action()
            shown = caught.value.stderr if isinstance(caught.value, subprocess.CalledProcessError) else str(caught.value)
            assert refused in shown and f"--scope {needs}" in shown, shown
        else:
            with pytest.raises((leveret.exception.AuthError, subprocess.CalledProcessError)):
                action()


def test_the_dashboard_and_metrics_take_any_scope_and_not_a_revoked_token(cluster):
    token_id, secret = token(cluster, "read-only")

    def metrics() -> int:
        return fetch(f"{cluster.http_url}/metrics", headers={"Authorization": f"Bearer {secret}"}, timeout=10)[0]

    assert metrics() == 200
    run_sync(cluster.server.tokens.revoke(token_id))
    assert metrics() == 401


def test_revoking_a_token_ends_its_open_calls_at_once_and_refuses_it_after(cluster):
    token_id, secret = token(cluster, "run")
    outcome = {}
    with using(secret):
        call = leveret.Function.from_name("scoped", "slow").spawn(60)
        d = leveret.Dict.from_name("scoped-dict")
        assert d["k"] == "v"   # a direct-port connection, open with this token

        def wait() -> None:
            try:
                outcome["value"] = call.get(timeout=120)
            except BaseException as exc:   # noqa: BLE001 - what ended it is the test's subject
                outcome["error"] = exc

        waiter = threading.Thread(target=wait)
        waiter.start()
        time.sleep(1.0)   # the result's wait is open on the server
        started = time.monotonic()
        run_sync(cluster.server.tokens.revoke(token_id))
        waiter.join(timeout=30)
        assert not waiter.is_alive() and time.monotonic() - started < 10
        assert isinstance(outcome.get("error"), leveret.exception.AuthError), outcome
        assert "token was revoked" in str(outcome["error"])
        with pytest.raises(leveret.exception.AuthError, match="this token was revoked"):
            d["k"]
        with pytest.raises(leveret.exception.AuthError, match="this token was revoked"):
            leveret.Function.from_name("scoped", "echo").remote(1)
    leveret.FunctionCall.from_id(call.object_id).cancel()
