"""Web functions through the server's gateway (server/gateway.py), with real HTTP requests: each
kind answers, a failure is a 502 with a body, unknown and stopped apps a 404, many requests at
once are all answered, a client that goes away cancels its input."""

import concurrent.futures
import json
import time

import pytest

import leveret
from _http import fetch
from apps import web_app
from leveret._shared.status import OutputStatus
from leveret.server.store import Store


@pytest.fixture(scope="module")
def running(cluster):
    with web_app.app.run(show_logs=False):
        yield web_app


def test_an_asgi_app_answers_get_and_post_at_its_url(running, cluster):
    url = running.api.get_web_url()
    assert url == f"{cluster.server.gateway_url}/web-app-dev/api" and running.plain.get_web_url() is None
    status, headers, body = fetch(url + "/some/path?a=1&b=2")
    assert status == 200 and headers["x-answered-by"] == "asgi" and headers["content-type"] == "application/json"
    assert json.loads(body) == {"method": "GET", "path": "/some/path", "root_path": "/web-app-dev/api",
                                "query": "a=1&b=2", "body": "", "started": True, "headers": {}}
    status, _, body = fetch(url + "/items", data=json.dumps({"x": 1}).encode(), method="POST",
                            headers={"X-Request-Id": "r1", "Content-Type": "application/json"})
    answer = json.loads(body)
    assert status == 201 and json.loads(answer["body"]) == {"x": 1} and answer["headers"] == {"x-request-id": "r1"}


def test_a_wsgi_app_and_a_server_the_function_starts(running):
    status, headers, body = fetch(running.site.get_web_url() + "/a/b?q=1", data=b"payload", method="PUT")
    assert (status, body) == (200, b"PUT /a/b?q=1 payload") and headers["x-script"] == "/web-app-dev/flask-like"
    status, _, body = fetch(running.files.get_web_url() + "/")
    assert status == 200 and b"Directory listing" in body


def test_fastapi_endpoints_take_the_query_and_a_json_body(running):
    status, headers, body = fetch(running.square.get_web_url() + "?x=7&name=ada")
    assert (status, json.loads(body)) == (200, {"square": 49, "hello": "ada"})
    status, _, body = fetch(running.square.get_web_url() + "?x=seven")
    assert status == 422 and b"int_parsing" in body   # FastAPI's own validation
    assert fetch(running.square.get_web_url() + "/docs")[0] == 200   # docs=True
    status, _, body = fetch(running.echo_item.get_web_url(), data=b'{"b": 1, "a": [2]}', method="POST",
                            headers={"Content-Type": "application/json"})
    assert (status, json.loads(body)) == (200, {"got": {"b": 1, "a": [2]}, "keys": ["a", "b"]})
    assert fetch(running.echo_item.get_web_url())[0] == 405   # GET on a POST endpoint


def test_requires_proxy_auth_lets_through_only_a_proxy_tokens_requests(running, cluster):
    from leveret._shared.aio import run_sync

    url = running.private.get_web_url()
    status, _, body = fetch(url + "/x")
    assert status == 401 and b"leveret token create --proxy" in body
    token_id, secret = run_sync(cluster.server.tokens.create("tests", proxy=True))
    assert token_id.startswith("pk-") and secret.startswith("ps-")   # (worker ids are wk-)
    status, _, body = fetch(url + "/x", headers={"Modal-Key": token_id, "Modal-Secret": secret, "X-Seen": "1"})
    assert status == 200 and json.loads(body)["headers"] == {"x-seen": "1"}   # the credentials are not passed on
    assert fetch(url + "/x", headers={"Modal-Key": token_id, "Modal-Secret": secret + "x"})[0] == 401
    worker_id, worker_token = run_sync(cluster.server.tokens.create("a-worker"))
    assert fetch(url + "/x", headers={"Modal-Key": worker_id, "Modal-Secret": worker_token})[0] == 401
    assert run_sync(cluster.server.tokens.revoke(token_id))
    assert fetch(url + "/x", headers={"Modal-Key": token_id, "Modal-Secret": secret})[0] == 401


def test_failures_answer_with_a_status_and_a_body_that_says_why(running, cluster):
    gateway = cluster.server.gateway_url
    status, _, body = fetch(running.api.get_web_url() + "/crash")
    assert status == 502 and body == b"the web function api failed: RuntimeError: the app broke on purpose\n"
    status, _, body = fetch(running.never_listens.get_web_url())
    assert status == 502 and b"did not listen on port 18799 within 0.5 s (web_server's startup_timeout)" in body
    status, _, body = fetch(f"{gateway}/web-app-dev/nope")
    assert status == 404 and b"app 'web-app' has no web function 'nope' (its web functions: api, chat, echo, files, flask-like, model-predict, model-ui, never-listens, private, square, ws-server)" in body
    status, _, body = fetch(f"{gateway}/web-app/api")
    assert status == 404 and b"no app 'web-app' is deployed" in body
    status, _, body = fetch(f"{gateway}/")
    assert status == 404 and b"/APP/LABEL" in body


def as_inputs(cluster, monkeypatch) -> None:
    """Requests go as inputs from now on, not on warm containers' links (test_web_links.py has those)."""
    monkeypatch.setattr(cluster.server.dispatcher.web_links, "pick", lambda fn: None)


def test_a_server_sent_events_answer_reaches_the_client_event_by_event(running, cluster, monkeypatch):
    import http.client
    import urllib.parse

    as_inputs(cluster, monkeypatch)
    url = urllib.parse.urlsplit(running.api.get_web_url())
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        started = time.monotonic()
        conn.request("GET", url.path + "/events")
        response = conn.getresponse()
        assert response.status == 200 and response.getheader("content-type") == "text/event-stream"
        (call,) = [c for c in cluster.server.dispatcher.calls.values() if c.kind == "web" and not c.done]
        first = response.readline()
        first_at = time.monotonic() - started
        rest = response.read()
        assert first == b"data: 0\n" and rest == b"\ndata: 1\n\ndata: 2\n\n"
        assert first_at < time.monotonic() - started - 0.7   # the first event came a second before the end
    finally:
        conn.close()
    # passed on once, not kept: neither in the server's memory nor in its store (only the end is)
    assert call.outputs == [] and call.taken == 5   # the head, three events, the end
    stored = cluster.wait_stored(lambda rows: rows, Store.get_outputs, call.call_id, 0, timeout=10)
    assert [row[1] for row in stored] == [int(OutputStatus.GENERATOR_DONE)]


def test_a_failure_once_the_answer_has_begun_cuts_the_body_short(running):
    import http.client

    with pytest.raises(http.client.IncompleteRead):
        fetch(running.api.get_web_url() + "/half")


def test_many_requests_at_once_are_all_answered_right(running):
    url = running.api.get_web_url()
    with concurrent.futures.ThreadPoolExecutor(50) as pool:
        got = list(pool.map(lambda i: fetch(f"{url}/n?i={i}"), range(200)))
    assert [json.loads(body)["query"] for status, _, body in got] == [f"i={i}" for i in range(200)]
    assert {status for status, _, _ in got} == {200}


def test_a_client_that_goes_away_cancels_its_input(running, cluster, monkeypatch):
    as_inputs(cluster, monkeypatch)
    d = cluster.server.dispatcher
    calls, new_call = [], d.new_call
    monkeypatch.setattr(d, "new_call", lambda *args, **kwargs: calls.append(new_call(*args, **kwargs)) or calls[-1])
    with pytest.raises(OSError):   # a timeout: the client goes away
        fetch(running.api.get_web_url() + "/slow", timeout=1)
    assert len(calls) == 1

    def cancelled():
        return all(c.cancelled or c.done for c in calls)

    deadline = time.time() + 15
    while not cancelled():
        assert time.time() < deadline, "the slow request's input was not cancelled"
        time.sleep(0.1)


def test_a_stopped_apps_url_answers_404(cluster):
    with web_app.other.run(show_logs=False):
        url = web_app.short_lived.get_web_url()
        assert url.endswith("/web-other-dev/short") and fetch(url + "/x")[0] == 200
    status, _, body = fetch(url + "/x")
    assert status == 404 and b"no app 'web-other' is running" in body


def test_a_deployed_apps_url_has_no_dev_suffix(cluster):
    deployed = web_app.app.deploy(name="web-deployed")
    try:
        url = deployed.web_urls["api"]
        assert url == f"{cluster.server.gateway_url}/web-deployed/api"
        assert leveret.Function.from_name("web-deployed", "api").get_web_url() == url
        assert leveret.Function.from_name("web-deployed", "plain").get_web_url() is None
        status, _, body = fetch(url + "/hello")
        assert status == 200 and json.loads(body)["root_path"] == "/web-deployed/api"
    finally:
        cluster.stop_app(deployed.app_id)
    assert fetch(url + "/hello")[0] == 404


def test_by_host_name_under_the_gateways_domain(running, cluster):
    routes, gateway = cluster.server.routes, cluster.server.gateway_url
    routes.domain = "apps.test"   # as `leveret server --gateway-domain apps.test`
    first = web_app.app.deploy(name="web-h1")
    second = web_app.app.deploy(name="web-h2")
    try:
        port = gateway.rpartition(":")[2]
        assert first.web_urls["api"] == f"http://web-h1--api.apps.test:{port}"
        status, _, body = fetch(gateway + "/x/y?q=1", headers={"Host": f"web-app--api-dev.apps.test:{port}"})
        assert status == 200 and json.loads(body)["path"] == "/x/y" and json.loads(body)["root_path"] == ""
        assert fetch(gateway + "/", headers={"Host": "web-h2--flask-like.apps.test"})[2] == b"GET /? "
        status, _, body = fetch(gateway + "/", headers={"Host": "api.apps.test"})   # a label alone: deployed apps'
        assert status == 409 and b"web-h1--api.apps.test or web-h2--api.apps.test" in body
        cluster.stop_app(second.app_id)
        assert fetch(gateway + "/z", headers={"Host": "api.apps.test"})[0] == 200   # one app has it now
        status, _, body = fetch(gateway + "/", headers={"Host": "web-app--nope-dev.apps.test"})
        assert status == 404 and b"has no web function 'nope'" in body
    finally:
        routes.domain = ""
        cluster.stop_app(first.app_id)
        cluster.stop_app(second.app_id)


def test_the_dashboard_links_a_web_function_to_its_url(running, cluster):
    app_id = running.app._running.app_id
    status, _, body = fetch(f"{cluster.server.http_url}/api/apps/{app_id}/functions/api",
                            headers={"Authorization": f"Bearer {cluster.token}"})
    assert status == 200 and json.loads(body)["web_url"] == running.api.get_web_url()
    _, _, body = fetch(f"{cluster.server.http_url}/api/apps/{app_id}/functions/plain",
                       headers={"Authorization": f"Bearer {cluster.token}"})
    assert json.loads(body)["web_url"] == ""


def test_web_methods_of_a_class_answer_with_its_instance(running):
    model = running.Model()
    status, _, body = fetch(model.predict.get_web_url(), data=b'{"x": 5}', method="POST",
                            headers={"Content-Type": "application/json"})
    assert (status, json.loads(body)) == (200, {"score": 15})   # @enter ran first
    assert model.predict.get_web_url().endswith("/web-app-dev/model-predict")
    assert fetch(model.ui.get_web_url() + "/a")[2] == b"weights 3 at /a"
    assert model.plain.remote(1) == 4 and model.plain.get_web_url() is None   # its other methods: calls
