"""leveret/web.py's decorators: Modal's names and options, checked where the function is defined,
and what the server makes of a web function's name (server/routes.py)."""

import pytest

import leveret
from leveret.exception import InvalidError, NotImplementedOptionError
from leveret.server.routes import default_label
from leveret.web import ASGI, FASTAPI, SERVER, WSGI, WebConfig


def define(*decorators):
    app = leveret.App("web-decorators")

    def handler():
        return None

    for decorator in reversed(decorators):
        handler = decorator(handler)
    return app.function(serialized=True)(handler)


def test_each_decorator_gives_its_function_a_web_config():
    assert define(leveret.fastapi_endpoint(method="post", docs=True))._options.web == WebConfig(FASTAPI, method="POST", docs=True)
    assert define(leveret.web_endpoint())._options.web == WebConfig(FASTAPI, method="GET")
    assert define(leveret.asgi_app(label="api"))._options.web == WebConfig(ASGI, label="api")
    assert define(leveret.wsgi_app())._options.web == WebConfig(WSGI)
    assert define(leveret.web_server(8000, startup_timeout=30))._options.web == WebConfig(SERVER, port=8000, startup_timeout=30.0)
    assert define()._options.web is None
    assert define(leveret.concurrent(max_inputs=10), leveret.asgi_app())._options.max_inputs == 10


@pytest.mark.parametrize("make, message", [
    (lambda: leveret.fastapi_endpoint(method="FETCH"), "one of GET, POST"),
    (lambda: leveret.asgi_app(label="Not_OK"), "a label is 1 to 63 lowercase letters"),
    (lambda: leveret.asgi_app(label="-dash"), "not starting or ending with a dash"),
    (lambda: leveret.web_server(0), "the port the function's server listens on, 1 to 65535"),
    (lambda: leveret.web_server("8000"), "the port the function's server listens on"),
    (lambda: leveret.web_server(8000, startup_timeout=0), "startup_timeout=0"),
    (lambda: leveret.wsgi_app(requires_proxy_auth="yes"), "must be True or False"),
    (lambda: leveret.asgi_app(lambda: None), r"use @leveret.asgi_app\(\) with parentheses"),
])
def test_bad_options_are_refused_naming_the_fix(make, message):
    with pytest.raises(InvalidError, match=message):
        make()


def test_options_that_are_not_served_yet_say_so():
    with pytest.raises(NotImplementedOptionError, match="custom_domains=.*not supported"):
        leveret.asgi_app(custom_domains=["api.example.com"])


def test_misplaced_or_doubled_decorators_and_options_that_do_not_go_with_them():
    with pytest.raises(InvalidError, match="below @app.function"):
        leveret.asgi_app()(define())
    with pytest.raises(InvalidError, match="has two web decorators"):
        define(leveret.asgi_app(), leveret.wsgi_app())
    with pytest.raises(InvalidError, match="cannot be @batched"):
        define(leveret.batched(max_batch_size=2, wait_ms=10), leveret.asgi_app())


def test_a_functions_url_name_unless_its_decorator_gives_one():
    assert default_label("predict") == "predict"
    assert default_label("Model.predict_one") == "model-predict-one"
    assert default_label("__") == "fn"
    assert len(default_label("x" * 100)) == 63
