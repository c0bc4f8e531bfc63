"""Bad input gets a clear error that names the fix, and harms nothing else: the next input on the
same container, or the next call with a good token, succeeds."""

import os
import pickle
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid

import pytest

import leveret
from apps import api_extras, bad_input
from e2e.procs import leveret_cmd, processes_named
from leveret import _client
from leveret import _serialization as serialization


def test_infinite_recursion_is_the_inputs_recursion_error_and_the_next_input_runs(cluster):
    with bad_input.app.run(show_logs=False):
        with pytest.raises(RecursionError, match="maximum recursion depth exceeded"):
            bad_input.recurse.remote(0)
        assert bad_input.echo.remote("next") == "next"
        with pytest.raises(RecursionError):
            bad_input.recurse.remote(1)


@pytest.mark.parametrize("token, error, text", [
    ("garbage", leveret.exception.AuthError, "refused the token: missing or wrong token"),
    ("two words", leveret.exception.InvalidError, "LEVERET_TOKEN holds a space, a line break"),
    ("tok\nen", leveret.exception.InvalidError, "LEVERET_TOKEN holds a space, a line break"),
    ("   ", leveret.exception.InvalidError, "LEVERET_TOKEN is not: set it to the server's token"),
])
def test_a_malformed_token_is_refused_naming_the_fix_and_a_good_one_works_after(cluster, token, error, text):
    good = os.environ["LEVERET_TOKEN"]
    os.environ["LEVERET_TOKEN"] = token
    _client.reset()
    try:
        with pytest.raises(error, match=text):
            leveret.App.lookup("bad-token", create_if_missing=True)
    finally:
        os.environ["LEVERET_TOKEN"] = good
        _client.reset()
    assert leveret.App.lookup("bad-token", create_if_missing=True).app_id.startswith("ap-")


def test_a_token_with_the_line_end_it_was_copied_with_works(cluster):
    good = os.environ["LEVERET_TOKEN"]
    os.environ["LEVERET_TOKEN"] = good + "\n"
    _client.reset()
    try:
        assert leveret.App.lookup("bad-token", create_if_missing=True).app_id.startswith("ap-")
    finally:
        os.environ["LEVERET_TOKEN"] = good
        _client.reset()


@pytest.fixture(scope="module")
def running(cluster):
    with bad_input.app.run(show_logs=False):
        yield cluster


@pytest.mark.parametrize("payload", [b"not a pickle at all", pickle.dumps(((1, 2), {}))[:-3]], ids=["garbage", "cut"])
def test_a_corrupt_pickle_fails_its_input_naming_it_and_the_container_serves_the_next(running, monkeypatch, payload):
    before = bad_input.pid.remote()
    monkeypatch.setattr(serialization, "serialize_args", lambda args, kwargs: payload)
    with pytest.raises(leveret.exception.DeserializationError, match="could not load the input.s arguments in the container: UnpicklingError"):
        bad_input.pid.remote()
    monkeypatch.undo()
    assert bad_input.pid.remote() == before


def test_an_argument_that_fails_to_load_in_the_container_is_its_input_s_error(running):
    before = bad_input.pid.remote()
    with pytest.raises(leveret.exception.DeserializationError,
                       match="RuntimeError: this argument refuses to be unpickled. Loading an argument's type failed"):
        bad_input.pid.remote(bad_input.FailsToLoad())
    assert bad_input.pid.remote() == before


@pytest.mark.parametrize("kind, text", [
    ("recreate", r"tests\.apps\.bad_input\.NeedsTwo: 1 and 2|bad_input\.NeedsTwo: 1 and 2"),
    ("pickle", r"bad_input\.HoldsLock: it holds a lock"),
])
def test_an_exception_that_cannot_make_the_trip_arrives_as_a_remote_error_with_its_traceback(running, kind, text):
    before = bad_input.fail.remote("none")
    with pytest.raises(leveret.exception.RemoteError, match=text) as caught:
        bad_input.fail.remote(kind)
    assert "in fail" in caught.value.remote_traceback
    assert bad_input.fail.remote("none") == before


def test_a_10_mb_traceback_arrives_whole_and_the_container_serves_the_next(running):
    before = bad_input.fail.remote("none")
    with pytest.raises(ValueError) as caught:
        bad_input.fail.remote("huge")
    assert str(caught.value) == "x" * (10 * 1024 * 1024)
    assert bad_input.fail.remote("none") == before


def test_a_function_ignoring_sigterm_is_killed_at_its_timeout_and_the_next_input_runs(running):
    started = time.monotonic()
    with pytest.raises(leveret.exception.FunctionTimeoutError, match="ran past its timeout of 2 s"):
        bad_input.ignore_sigterm.remote(60)
    assert time.monotonic() - started < 30
    assert bad_input.ignore_sigterm.remote(0.01) > 0


def test_an_argument_of_a_module_the_image_lacks_names_the_module_and_the_fix(running, tmp_path, monkeypatch):
    (tmp_path / "only_here.py").write_text("class Point:\n    x = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import only_here

    before = bad_input.pid.remote()
    with pytest.raises(leveret.exception.DeserializationError,
                       match=r"need the module 'only_here', which its image lacks; add it to the function's image"):
        bad_input.pid.remote(only_here.Point())
    assert bad_input.pid.remote() == before


@pytest.fixture(scope="module")
def deployed(cluster):
    api_extras.app.deploy(name="bad-ids")
    return "bad-ids"


@pytest.mark.parametrize("call, error, text", [
    (lambda: leveret.Function.from_name("bad-ids", "nope").remote(1), leveret.exception.NotFoundError,
     r"deployed app 'bad-ids' has no function or class 'nope' \(it has: echo, "),
    (lambda: leveret.Cls.from_name("bad-ids", "Nope")().m.remote(), leveret.exception.NotFoundError,
     r"has no function or class 'Nope'"),
    (lambda: leveret.Function.from_name("no-such-app", "echo").remote(1), leveret.exception.NotFoundError,
     r"no deployed app named 'no-such-app': deploy it with `leveret deploy FILE`"),
    (lambda: leveret.App.lookup("no-such-app"), leveret.exception.NotFoundError,
     r"no deployed app named 'no-such-app': deploy one"),
    (lambda: leveret.FunctionCall.from_id("fc-0000000000000000").get(), leveret.exception.NotFoundError,
     r"no function call fc-0000000000000000: .* or the id is wrong"),
    (lambda: leveret.FunctionCall.from_id("fc-0000000000000000").cancel(), leveret.exception.NotFoundError,
     r"no function call fc-0000000000000000"),
    (lambda: leveret.FunctionCall.from_id("not an id").get(), leveret.exception.InvalidError,
     r"'not an id' is not a function call id: function call ids look like 'fc-"),
    (lambda: leveret.Sandbox.from_id("sb-0000000000000000"), leveret.exception.NotFoundError,
     r"no sandbox sb-0000000000000000 \(it ended more than 1 h ago, or the id is wrong\)"),
], ids=["function", "class", "app", "app-lookup", "call-get", "call-cancel", "call-id", "sandbox"])
def test_an_unknown_name_or_id_is_not_found_naming_it_and_the_next_call_works(deployed, call, error, text):
    with pytest.raises(error, match=text):
        call()
    assert leveret.Function.from_name(deployed, "echo").remote(7) == 7


@pytest.mark.parametrize("args, text", [
    (["app", "stop", "ap-0000000000000000"], "no app named 'ap-0000000000000000'"),
    (["app", "logs", "ap-0000000000000000"], "no app named 'ap-0000000000000000'"),
    (["app", "history", "no-such-app"], "Error: no deployed app named 'no-such-app'"),
    (["app", "rollback", "no-such-app"], "Error: no deployed app named 'no-such-app'"),
    (["container", "stop", "ct-0000000000000000"], "no running container ct-0000000000000000: `leveret container list`"),
    (["container", "exec", "ct-0000000000000000", "ls"], "container ct-0000000000000000 is not running"),
], ids=lambda v: "-".join(v) if isinstance(v, list) else None)
def test_an_unknown_id_on_the_command_line_is_one_error_line(deployed, args, text):
    done = subprocess.run(leveret_cmd(*args), capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stdout == "" and text in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr


def _ports(cluster) -> dict[str, tuple[str, int]]:
    def address(url: str) -> tuple[str, int]:
        host, _, port = url.split("://")[-1].rstrip("/").rpartition(":")
        return host, int(port)

    return {"grpc": address(cluster.url), "http": address(cluster.http_url),
            "gateway": address(cluster.server.gateway_url), "direct": ("127.0.0.1", cluster.server.direct.port)}


GARBAGE = [os.urandom(4096), b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + os.urandom(512), b"GET / HTTP/1.1\r\nHost: x\r\n",
           b"\x00" * 70000, b"\xff\xff\xff\xff" + os.urandom(64)]


@pytest.mark.parametrize("port", ["grpc", "http", "gateway", "direct"])
def test_garbage_and_half_open_connections_on_a_port_harm_no_one_else(running, port):
    host, number = _ports(running)[port]
    held = []
    try:
        for data in GARBAGE * 4:
            s = socket.create_connection((host, number), timeout=5)
            s.sendall(data)   # then left open: half a request, or bytes no protocol knows
            held.append(s)
        for _ in range(20):
            held.append(socket.create_connection((host, number), timeout=5))   # connected, never a byte
        for s in held[-5:]:
            s.shutdown(socket.SHUT_WR)   # half-closed
        assert bad_input.echo.remote(port) == port
        with urllib.request.urlopen(f"{running.http_url}/healthz", timeout=10) as r:
            assert r.read() == b"ok\n"
        with pytest.raises(urllib.error.HTTPError) as answered:   # the gateway answers: no such web function
            urllib.request.urlopen(running.server.gateway_url.rstrip("/") + "/no-such-endpoint", timeout=10)
        answered.value.close()
        assert answered.value.code == 404
        d = leveret.Dict.from_name("bad-input-ports", create_if_missing=True)
        d[port] = 1
        assert d[port] == 1
    finally:
        for s in held:
            s.close()
    assert bad_input.echo.remote("after") == "after"


def test_a_double_forked_daemon_is_killed_with_its_container(running):
    """The process runtime has no namespaces: what left the container's session is found by the
    container's id in its environment."""
    marker = f"daemon-{uuid.uuid4().hex}"
    container_id = bad_input.daemonize.remote(marker)
    assert len(processes_named(marker)) == 1
    stopped = subprocess.run(leveret_cmd("container", "stop", container_id), capture_output=True, text=True, timeout=60)
    assert stopped.returncode == 0, stopped.stderr
    deadline = time.monotonic() + 30
    while processes_named(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_named(marker) == []
    assert bad_input.daemonize.remote(marker) != container_id   # the next input, on a new container


@pytest.mark.parametrize("token, code", [("wrong", "UNAUTHENTICATED"), (None, "UNIMPLEMENTED")])
def test_an_unknown_grpc_method_is_refused_and_the_server_serves_on(running, token, code):
    import grpc

    with grpc.insecure_channel(running.url.split("://")[1]) as channel:
        call = channel.unary_unary("/leveret.v1.Leveret/NoSuchMethod")
        with pytest.raises(grpc.RpcError) as caught:
            call(b"\x00garbage", metadata=(("authorization", f"Bearer {token or running.token}"),), timeout=10)
    assert caught.value.code().name == code
    assert bad_input.echo.remote("after") == "after"
