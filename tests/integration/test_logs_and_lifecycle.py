"""Logs, scaledown, serialized functions, import failures, auth and connection errors."""

import contextlib
import os
import threading

import pytest

import leveret
from leveret import _client
from leveret._runner import RunContext
from leveret.server.store import Store
from apps import basic, broken


class Capture:
    """A printer that keeps lines instead of printing them."""

    def __init__(self):
        self.lines = []
        self.changed = threading.Condition()

    def print_lines(self, lines):
        with self.changed:
            self.lines.extend(lines)
            self.changed.notify_all()

    def wait_for(self, predicate, timeout=10):
        with self.changed:
            assert self.changed.wait_for(lambda: predicate(self.lines), timeout), self.lines


def test_logs_stream_live_and_attributed(cluster):
    capture = Capture()
    with RunContext(basic.app, printer=capture):
        assert basic.chatty.remote("x1") == "x1"
        capture.wait_for(lambda ls: {"out x1", "err x1", "sub x1"} <= {ln.text for ln in ls})
    by_text = {ln.text: ln for ln in capture.lines}
    assert by_text["out x1"].source == 1 and by_text["err x1"].source == 2
    for text in ("out x1", "err x1", "sub x1"):
        assert by_text[text].function_name == "chatty"
        assert by_text[text].container_id.startswith("ct-")
    assert by_text["out x1"].input_id.startswith("in-")


def test_print_reaches_the_log_before_the_result(cluster):
    capture = Capture()
    with RunContext(basic.app, printer=capture):
        for i in range(5):
            basic.chatty.remote(f"o{i}")
        capture.wait_for(lambda ls: sum(ln.text.startswith("out o") for ln in ls) == 5)
    outs = [ln.text for ln in capture.lines if ln.text.startswith("out o")]
    assert outs == [f"out o{i}" for i in range(5)]


def test_idle_container_stops_after_scaledown_window(fake_clock_cluster):
    cluster = fake_clock_cluster

    def brief():
        return [c for c in cluster.containers() if c.function_name == "brief"]

    with basic.app.run(show_logs=False):
        assert basic.brief.remote(1) == 1
        (idle,) = brief()
        cluster.jump(0.5)
        assert [c.container_id for c in brief()] == [idle.container_id]   # within its 1 s window
        cluster.jump(1.5)                                      # past it, with a periodic pass after 1 s idle
        cluster.wait_for(lambda d: not brief(), timeout=10)    # stopped: the process ends for real
        assert basic.brief.remote(2) == 2  # a new container starts on demand


def test_serialized_function_ships_by_value(cluster):
    app = leveret.App("serialized")
    offset = 1000

    @app.function(serialized=True)
    def shifted(x):
        return x + offset

    with app.run(show_logs=False):
        assert shifted.remote(1) == 1001
        assert list(shifted.map([1, 2])) == [1001, 1002]


def test_import_failure_fails_inputs_and_container_keeps_serving(cluster):
    with broken.app.run(show_logs=False):
        for _ in range(2):
            with pytest.raises(ImportError, match="refuses to import inside a container"):
                broken.f.remote(1)
        fn_containers = [c for c in cluster.containers(broken.app.app_id) if c.function_name == "f"]
        assert len(fn_containers) == 1


def test_app_stop_cancels_outstanding_inputs(cluster):
    ctx = RunContext(basic.app, show_logs=False)
    with ctx:
        calls = [basic.sleepy.spawn(5) for _ in range(3)]
    assert ctx.cancelled_inputs == 3
    with pytest.raises(leveret.InputCancellation):
        calls[0].get(timeout=5)


@contextlib.contextmanager
def client_env(cluster, **env):
    """The SDK's client pointed elsewhere for the block, then back at the cluster."""
    saved = {"LEVERET_TOKEN": cluster.token, "LEVERET_SERVER_URL": cluster.url}
    os.environ.update(env)
    _client.reset()
    try:
        yield
    finally:
        os.environ.update(saved)
        _client.reset()


def test_wrong_token_is_refused(cluster):
    with client_env(cluster, LEVERET_TOKEN="not-the-token"):
        with pytest.raises(leveret.AuthError, match="refused the token"):
            with basic.app.run(show_logs=False):
                pass


def test_unreachable_server_says_how_to_start_one(cluster):
    with client_env(cluster, LEVERET_SERVER_URL="http://127.0.0.1:1"):
        with pytest.raises(leveret.ConnectionError, match="leveret server start"):
            with basic.app.run(show_logs=False):
                pass


def test_server_url_without_token_names_the_fix(monkeypatch):
    monkeypatch.setenv("LEVERET_SERVER_URL", "http://127.0.0.1:1")
    monkeypatch.delenv("LEVERET_TOKEN", raising=False)
    from leveret import config

    with pytest.raises(leveret.InvalidError, match="LEVERET_TOKEN"):
        config.explicit_server()


def test_containers_and_mounts_are_cleaned_up(cluster):
    with basic.app.run(show_logs=False):
        basic.square.remote(1)
    cluster.wait_for(lambda d: not cluster.containers())
    left = os.listdir(os.path.join(cluster.directory, "worker", "containers"))
    assert left == []
    assert os.listdir(cluster.agent.socket_dir) == []


def test_stopped_app_rejects_calls(cluster):
    with basic.app.run(show_logs=False):
        fid, client = basic.square._function_id, basic.square._client
    basic.square._hydrate(fid, client)
    try:
        with pytest.raises(leveret.NotFoundError, match="not running"):
            basic.square.remote(1)
    finally:
        basic.square._forget()


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split()[2] != "Z"


def test_busy_container_is_stopped_after_the_grace(cluster):
    with basic.app.run(show_logs=False):
        basic.sleepy.spawn(60)
        cluster.wait_for(lambda d: any(c.function_name == "sleepy" and c.running for c in cluster.containers()))
    cluster.wait_for(lambda d: not any(c.function_name == "sleepy" for c in cluster.containers()), timeout=10)


def test_processes_a_function_leaves_behind_die_with_its_container(cluster):
    with basic.app.run(show_logs=False):
        pid = basic.leave_child.remote()
        assert _alive(pid)
    cluster.wait_for(lambda d: not any(c.function_name == "leave_child" for c in cluster.containers()), timeout=10)
    cluster.wait_for(lambda d: not _alive(pid), timeout=5)


def test_undecodable_output_is_shown_with_replacement_characters(cluster):
    capture = Capture()
    with RunContext(basic.app, printer=capture):
        assert basic.undecodable.remote() == "printed"
        assert basic.undecodable.remote() == "printed"  # the container survived it
        capture.wait_for(lambda ls: any("ok" in ln.text for ln in ls))
    assert "caf\ufffd ok" in [ln.text for ln in capture.lines]


def test_a_cancelled_call_frees_its_state(cluster):
    import asyncio

    with basic.app.run(show_logs=False):
        async def timed_out():
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(basic.sleepy.remote.aio(1.5), 0.2)

        before = cluster.totals().calls
        asyncio.run(timed_out())
        cluster.wait_for(lambda d: cluster.totals().calls == before)
        assert basic.square.remote(3) == 9


def test_map_with_misnumbered_inputs_is_refused(cluster):
    import grpc

    from leveret._shared.aio import run_sync
    from leveret._wire import api_pb2 as pb

    with basic.app.run(show_logs=False):
        client, fid = basic.square._client, basic.square._function_id

        async def bad_map():
            stream = client.stub.FunctionMap(iter([pb.FunctionMapRequest(
                function_id=fid, inputs=[pb.Input(idx=0, args=b""), pb.Input(idx=0, args=b"")], total=2, last=True)]))
            with pytest.raises(grpc.aio.AioRpcError) as info:
                async for _ in stream:
                    pass
            return info.value

        err = run_sync(bad_map())
        assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "number inputs 0, 1, 2" in err.details()
        assert list(basic.square.map(range(3))) == [0, 1, 4]


def test_limits_are_refused_where_the_runtime_cannot_enforce_them(cluster):
    with basic.app.run(show_logs=False):
        with pytest.raises(leveret.ExecutionError, match="cannot enforce cpu=, memory=; run the worker as root with --runtime crun"):
            basic.limited.remote()


def test_an_input_past_its_timeout_fails_and_the_ones_behind_it_run_elsewhere(cluster):
    with basic.app.run(show_logs=False):
        results = list(basic.overtime.map([0.1, 5, 0.1, 0.2], return_exceptions=True))
    assert results[0] == 0.1 and results[2:] == [0.1, 0.2]
    assert isinstance(results[1], leveret.FunctionTimeoutError)
    assert "timeout of 1 s" in str(results[1])


def test_timeout_must_be_positive_seconds():
    app = leveret.App("t")
    with pytest.raises(leveret.InvalidError, match="timeout=0 must be seconds"):
        @app.function(timeout=0, serialized=True)
        def f():
            pass


def test_secrets_reach_the_function_as_environment(cluster):
    with basic.app.run(show_logs=False):
        assert basic.read_secret.remote() == ("k-123", "o")


def test_secrets_reach_a_warm_container_too(tmp_path):
    from leveret.testing import Cluster

    with Cluster(tmp_path, warm_containers=1) as c:
        c.wait_for(lambda d: c.agent.pool and c.agent.pool[0].writer is not None)
        with basic.app.run(show_logs=False):
            assert basic.read_secret.remote() == ("k-123", "o")


def test_fast_outputs_are_not_held_behind_a_slow_input(cluster):
    with basic.app.run(show_logs=False):
        results = list(basic.overtime.map([0.0] * 5 + [3], return_exceptions=True))
    assert results[:5] == [0.0] * 5
    assert isinstance(results[5], leveret.FunctionTimeoutError)


def test_a_crash_fails_the_input_it_was_running_and_the_rest_run_elsewhere(cluster):
    with basic.app.run(show_logs=False):
        results = list(basic.crash_on.map([1, 2, 3, 4], return_exceptions=True))
    assert results[0] == 1 and results[2:] == [3, 4]
    assert isinstance(results[1], leveret.ExecutionError) and "exited with code 3" in str(results[1])


class Follower:
    """A LogsStream read on the SDK's loop in the background; keeps what arrives."""

    def __init__(self, request):
        import asyncio

        from leveret._shared.aio import run_sync

        self.capture = Capture()
        self.following = threading.Event()
        self.done = threading.Event()

        async def start():
            client = await _client.Client.get()
            stream = client.stub.LogsStream(request)

            async def read():
                try:
                    async for resp in stream:
                        self.capture.print_lines(resp.lines)
                        if not resp.lines:
                            self.following.set()
                        if resp.app_done:
                            return
                finally:
                    self.done.set()

            self.task = asyncio.ensure_future(read())

        run_sync(start())

    def texts(self):
        return [ln.text for ln in self.capture.lines]


def test_logs_stream_filters_on_the_server_and_tails_before_following(cluster):
    from leveret._wire import api_pb2 as pb

    with basic.app.run(show_logs=False):
        for tag in ("t1", "t2", "t3"):
            basic.chatty.remote(tag)
        app_id = basic.app.app_id
        cluster.wait_stored(lambda rows: "sub t3" in [r[7] for r in rows], Store.get_logs, app_id)
        follower = Follower(pb.LogsStreamRequest(app_id=app_id, follow=True, history=True, tail=2,
                                                 function_name="chatty", search="out "))
        assert follower.following.wait(5)
        assert follower.texts() == ["out t2", "out t3"]   # the last two matching, oldest first
        basic.chatty.remote("t4")
        basic.square.remote(4)
        follower.capture.wait_for(lambda ls: [ln.text for ln in ls][-1:] == ["out t4"])
        for wrong in ("err t4", "sub t4"):
            assert wrong not in follower.texts()
        stored_ts = [r[6] for r in cluster.stored(Store.get_logs, app_id) if r[7].startswith("out ")]
        window = Follower(pb.LogsStreamRequest(app_id=app_id, history=True, search="out ",
                                               since=stored_ts[1], until=stored_ts[2]))
        assert window.done.wait(5)
        assert window.texts() == ["out t2", "out t3"]
    assert follower.done.wait(5)   # the app stopped: the follower was told
