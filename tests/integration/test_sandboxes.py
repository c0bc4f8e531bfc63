"""Sandboxes through a real server and worker (the process runtime; tests/container has crun's):
a command's output and exit code, exec with stdin and its own streams, byte-exact and backpressured
output, kill of one process, timeouts and idle timeouts with their reasons, terminate, from_id /
from_name / list / tags, an app's stop, and the options not built yet refused by name."""

import asyncio
import secrets
import signal
import time

import pytest

import leveret
from leveret.exception import (AlreadyExistsError, InvalidError, NotFoundError, NotImplementedOptionError,
                               SandboxTerminatedError, SandboxTimeoutError)
from leveret.stream_type import StreamType


@pytest.fixture(scope="module")
def app(cluster):
    return leveret.App.lookup("sandboxes-" + secrets.token_hex(3), create_if_missing=True)


@pytest.fixture
def sleeper(app):
    sb = leveret.Sandbox.create(app=app)
    sb.wait_until_ready()
    yield sb
    sb.terminate()


def test_a_command_runs_to_its_end_with_its_output_and_exit_code(app):
    sb = leveret.Sandbox.create("sh", "-c", "echo hello; echo oops >&2; exit 3", app=app)
    sb.wait()   # an exit of its own, even non-zero, is no termination
    assert sb.returncode == 3 and sb.poll() == 3
    assert sb.stdout.read() == "hello\n" and sb.stderr.read() == "oops\n"
    assert sb.stdout.read() == ""   # read to its end already


def test_exec_takes_stdin_and_gives_its_own_streams_and_exit_code(sleeper):
    p = sleeper.exec("sh", "-c", "cat; echo done >&2; exit 5")
    assert p.poll() is None and p.returncode is None
    p.stdin.write(b"one\ntwo\n")
    p.stdin.write("three")
    p.stdin.write_eof()
    p.stdin.drain()
    assert list(p.stdout) == ["one\n", "two\n", "three"]
    assert p.stderr.read() == "done\n"
    assert p.wait() == 5 and p.returncode == 5
    assert sleeper.poll() is None   # the sandbox goes on


def test_exec_output_is_byte_exact_binary_long_lines_and_both_streams(sleeper):
    script = ("import sys, os\n"
              "data = bytes(range(256)) * 4096 + b'\\n' + b'x' * (3 * 1024 * 1024) + b'\\n'\n"
              "for i in range(50):\n"
              "    sys.stdout.buffer.write(b'%d:' % i + data[:1000]); sys.stdout.flush()\n"
              "    sys.stderr.buffer.write(b'e%d\\n' % i); sys.stderr.flush()\n"
              "sys.stdout.buffer.write(data)\n")
    p = sleeper.exec("python3", "-c", script, text=False)
    out, err = p.stdout.read(), p.stderr.read()
    data = bytes(range(256)) * 4096 + b"\n" + b"x" * (3 * 1024 * 1024) + b"\n"
    assert out == b"".join(b"%d:" % i + data[:1000] for i in range(50)) + data
    assert err == b"".join(b"e%d\n" % i for i in range(50))
    assert p.wait() == 0


def test_exec_workdir_env_secrets_and_a_missing_command(app, sleeper, tmp_path):
    secret = leveret.Secret.from_dict({"API_KEY": "s3cret"})
    p = sleeper.exec("sh", "-c", "pwd; echo $MODE $API_KEY", workdir=str(tmp_path), env={"MODE": "test"},
                     secrets=[secret])
    assert p.stdout.read() == f"{tmp_path}\ntest s3cret\n" and p.wait() == 0
    p = sleeper.exec("no-such-command-here")
    assert p.wait() != 0
    with pytest.raises(InvalidError, match="needs a command"):
        sleeper.exec()
    with pytest.raises(InvalidError, match="absolute path"):
        sleeper.exec("ls", workdir="relative")


def test_kill_stops_one_process_and_the_sandbox_goes_on(sleeper):
    slow = sleeper.exec("sleep", "60")
    other = sleeper.exec("sh", "-c", "read x; echo got $x")
    t = time.monotonic()
    slow.kill(signal.SIGTERM)
    assert slow.wait() == -signal.SIGTERM and time.monotonic() - t < 10
    other.stdin.write(b"it\n")
    other.stdin.drain()
    assert other.stdout.read() == "got it\n" and other.wait() == 0
    assert sleeper.poll() is None


def test_an_exec_past_its_timeout_is_killed(cluster, sleeper):
    p = sleeper.exec("sleep", "60", timeout=1)
    t = time.monotonic()
    assert p.wait() == -signal.SIGKILL and time.monotonic() - t < 10
    assert cluster.server.dispatcher.sandboxes.processes[p.object_id].ended_by == "timeout"


def test_output_nobody_reads_waits_under_the_servers_window(cluster, sleeper):
    from leveret.server.sandboxes import WINDOW

    total = 48 * 1024 * 1024   # three windows
    p = sleeper.exec("python3", "-c", f"import sys; sys.stdout.buffer.write(b'y' * {total})", text=False)
    sandboxes = cluster.server.dispatcher.sandboxes
    held = lambda: sum(len(s.data) for s in sandboxes.processes[p.object_id].streams.values())   # noqa: E731
    deadline = time.monotonic() + 10
    while held() < WINDOW // 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)   # the command writes on if it can: it cannot
    assert WINDOW // 2 <= held() <= WINDOW + 1024 * 1024
    assert p.poll() is None   # it waits for a reader, as on a pipe
    got = 0
    for chunk in p.stdout:
        assert chunk.count(b"y") == len(chunk)
        got += len(chunk)
    assert got == total and p.wait() == 0


def test_terminate_ends_it_with_the_reason_and_wait_raises(app):
    sb = leveret.Sandbox.create("sleep", "60", app=app)
    sb.wait_until_ready()
    sb.terminate()
    with pytest.raises(SandboxTerminatedError, match="Sandbox.terminate"):
        sb.wait()
    assert sb.returncode is not None and sb.returncode < 0
    sb.wait(raise_on_termination=False)
    with pytest.raises(NotFoundError, match="not running"):
        sb.exec("ls")


def test_timeout_and_idle_timeout_stop_it_and_say_why(app):
    sb = leveret.Sandbox.create(app=app, timeout=1)
    with pytest.raises(SandboxTimeoutError, match="timeout of 1 s"):
        sb.wait()
    idle = leveret.Sandbox.create(app=app, idle_timeout=1)
    idle.wait_until_ready()
    with pytest.raises(SandboxTimeoutError, match="idle_timeout of 1 s"):
        idle.wait()
    info = [s for s in leveret.Sandbox.list(app_id=app.app_id)]
    assert idle.object_id not in {s.object_id for s in info}


def test_an_exec_running_keeps_it_from_being_idle(app):
    sb = leveret.Sandbox.create(app=app, idle_timeout=1)
    sb.wait_until_ready()
    p = sb.exec("sleep", "2.5")
    assert p.wait() == 0 and sb.poll() is None
    sb.terminate()


def test_from_id_from_name_list_and_tags(app):
    name = "box-" + secrets.token_hex(3)
    sb = leveret.Sandbox.create("sh", "-c", "echo one; sleep 60", app=app, name=name, tags={"team": "ml"})
    sb.wait_until_ready()
    with pytest.raises(AlreadyExistsError, match="already has a running sandbox named"):
        leveret.Sandbox.create(app=app, name=name)
    again = leveret.Sandbox.from_id(sb.object_id)
    line = next(iter(again.stdout))   # output nobody read yet
    assert line == "one\n"
    assert leveret.Sandbox.from_name(app.name, name).object_id == sb.object_id
    assert sb.object_id in {s.object_id for s in leveret.Sandbox.list(app_id=app.app_id, tags={"team": "ml"})}
    assert sb.object_id not in {s.object_id for s in leveret.Sandbox.list(tags={"team": "web"})}
    sb.set_tags({"team": "web"})
    assert sb.get_tags() == {"team": "web"}
    assert sb.object_id in {s.object_id for s in leveret.Sandbox.list(tags={"team": "web"})}
    sb.terminate()
    sb.wait(raise_on_termination=False)
    with pytest.raises(NotFoundError, match="no running sandbox named"):
        leveret.Sandbox.from_name(app.name, name)
    assert leveret.Sandbox.from_id(sb.object_id).returncode == sb.returncode   # ended ones are found a while


def test_an_apps_stop_terminates_its_sandboxes_but_detached_ones(cluster):
    run_app = leveret.App("sandbox-run-" + secrets.token_hex(3))
    with run_app.run():
        kept = leveret.Sandbox.create(app=run_app)
        gone = leveret.Sandbox.create(app=run_app)
        kept.wait_until_ready()
        gone.wait_until_ready()
        kept.detach()
    with pytest.raises(SandboxTerminatedError, match="its app stopped"):
        gone.wait()
    assert kept.poll() is None
    p = kept.exec("echo", "still here")
    assert p.stdout.read() == "still here\n"
    kept.terminate()


def test_the_aio_forms(app):
    async def go():
        sb = await leveret.Sandbox.create.aio("sh", "-c", "echo a; echo b", app=app)
        lines = [line async for line in sb.stdout]
        await sb.wait.aio()
        return lines, sb.returncode

    assert asyncio.run(go()) == (["a\n", "b\n"], 0)


def test_stdout_to_devnull_never_blocks_the_command(sleeper):
    p = sleeper.exec("python3", "-c", "import sys; sys.stdout.buffer.write(b'z' * 40_000_000)", stdout=StreamType.DEVNULL)
    assert p.wait() == 0
    with pytest.raises(InvalidError, match="StreamType.PIPE"):
        p.stdout.read()


def test_bad_input_gets_a_clear_error(app):
    with pytest.raises(InvalidError, match="needs a running app"):
        leveret.Sandbox.create("ls")
    with pytest.raises(InvalidError, match="timeout"):
        leveret.Sandbox.create(app=app, timeout=25 * 3600)
    with pytest.raises(InvalidError, match="as strings"):
        leveret.Sandbox.create("sleep", 1, app=app)
    with pytest.raises(InvalidError, match="over 65536 bytes"):
        leveret.Sandbox.create("echo", "x" * 70000, app=app)
    with pytest.raises(NotImplementedOptionError, match="h2_ports"):
        leveret.Sandbox.create(app=app, h2_ports=[8000])
    with pytest.raises(InvalidError, match="port numbers from 1 to 65535"):
        leveret.Sandbox.create(app=app, encrypted_ports=[0])
    with pytest.raises(InvalidError, match="readiness_probe= takes leveret.Probe"):
        leveret.Sandbox.create(app=app, readiness_probe=object())
    with pytest.raises(InvalidError, match="port from 1 to 65535"):
        leveret.Probe.with_tcp(70000)
    with pytest.raises(NotFoundError):
        leveret.Sandbox.from_id("sb-0000000000000000")
    with pytest.raises(NotImplementedOptionError, match="verbose"):
        leveret.Sandbox.create(app=app, verbose=True)
    with pytest.raises(NotImplementedOptionError, match="client="):
        leveret.Sandbox.from_name(app.name, "x", client=object())


def test_one_no_worker_can_hold_ends_with_the_reason(app):
    sb = leveret.Sandbox.create(app=app, memory=10_000_000)
    with pytest.raises(SandboxTerminatedError, match="ended before it was ready") as caught:
        sb.wait_until_ready(timeout=10)
    assert "memory" in str(caught.value)
    sb.wait(raise_on_termination=False)
    assert sb.returncode == -1


def test_stdin_after_the_process_ended(sleeper):
    p = sleeper.exec("true")
    assert p.wait() == 0
    p.stdin.write_eof()
    p.stdin.drain()   # closing a pipe nobody reads is nothing
    late = sleeper.exec("true")
    late.wait()
    late.stdin.write(b"too late")
    with pytest.raises(InvalidError, match="has ended"):
        late.stdin.drain()


def test_stdin_a_command_does_not_read_holds_its_writer_back(cluster, sleeper):
    import threading

    from leveret.server.sandboxes import STDIN_WINDOW

    total = 40 * 1024 * 1024
    p = sleeper.exec("sh", "-c", "sleep 2; wc -c")
    done = threading.Event()

    def write():
        p.stdin.write(b"z" * total)
        p.stdin.write_eof()
        p.stdin.drain()
        done.set()

    threading.Thread(target=write, daemon=True).start()
    proc = cluster.server.dispatcher.sandboxes.processes[p.object_id]
    time.sleep(1.0)
    assert not done.is_set()   # the command reads nothing yet: its writer waits
    assert STDIN_WINDOW // 2 <= proc.stdin_unread <= STDIN_WINDOW + 1024 * 1024 and proc.stdin_at < total
    assert p.stdout.read().strip() == str(total) and p.wait() == 0
    assert done.wait(10)


def test_a_snapshot_needs_a_runtime_with_layers(sleeper):
    with pytest.raises(InvalidError, match="snapshots need a worker with --runtime crun"):
        sleeper.snapshot_filesystem()


def test_a_tcp_readiness_probe_waits_for_its_server(app):
    import socket

    with socket.socket() as s:   # a port nothing listens on now
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = f"import socket, time; time.sleep(1.5); s = socket.socket(); s.bind(('127.0.0.1', {port})); s.listen(); time.sleep(60)"
    t = time.monotonic()
    sb = leveret.Sandbox.create("python3", "-c", server, app=app, readiness_probe=leveret.Probe.with_tcp(port))
    with pytest.raises(leveret.exception.TimeoutError, match="readiness probe has not passed"):
        sb.wait_until_ready(timeout=0.5)
    sb.wait_until_ready(timeout=30)
    assert time.monotonic() - t >= 1.5
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass   # it listens
    sb.terminate()


def test_an_exec_readiness_probe_and_a_sandbox_that_ends_first(app, tmp_path):
    flag = tmp_path / "ready"
    sb = leveret.Sandbox.create("sh", "-c", f"sleep 1; touch {flag}; sleep 60", app=app,
                                readiness_probe=leveret.Probe.with_exec("test", "-f", str(flag), interval_ms=50))
    sb.wait_until_ready(timeout=30)
    assert flag.exists()
    sb.terminate()
    never = leveret.Sandbox.create("sh", "-c", "exit 2", app=app, readiness_probe=leveret.Probe.with_exec("false"))
    with pytest.raises(SandboxTerminatedError, match="exited with code 2"):
        never.wait_until_ready(timeout=30)


def test_ports_are_reached_through_the_gateway_while_it_runs(app, tmp_path):
    import socket

    from _http import fetch

    ports = []
    for _ in range(2):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            ports.append(s.getsockname()[1])
    (tmp_path / "hello.txt").write_text("from the sandbox\n")
    serve = ("import http.server, socketserver, sys, threading\n"
             "H = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=sys.argv[3])\n"
             "for port in sys.argv[1:3]:\n"
             "    s = socketserver.ThreadingTCPServer(('127.0.0.1', int(port)), H)\n"
             "    threading.Thread(target=s.serve_forever).start()\n")
    sb = leveret.Sandbox.create("python3", "-c", serve, str(ports[0]), str(ports[1]), str(tmp_path), app=app,
                                encrypted_ports=[ports[0]], unencrypted_ports=[ports[1]],
                                readiness_probe=leveret.Probe.with_tcp(ports[1]))
    sb.wait_until_ready(timeout=30)
    tunnels = sb.tunnels()
    assert sorted(tunnels) == sorted(ports)
    status, _, body = fetch(tunnels[ports[0]].url + "/hello.txt")
    assert status == 200 and body == b"from the sandbox\n"
    host, tcp_port = tunnels[ports[1]].tcp_socket
    with socket.create_connection((host, tcp_port), timeout=10) as c:
        c.sendall(b"GET /hello.txt HTTP/1.0\r\n\r\n")
        got = b""
        while chunk := c.recv(65536):
            got += chunk
    assert got.startswith(b"HTTP/1.0 200") and got.endswith(b"from the sandbox\n")
    url = tunnels[ports[0]].url
    sb.terminate()
    sb.wait(raise_on_termination=False)
    status, _, _ = fetch(url + "/hello.txt")
    assert status in (404, 502)   # its tunnels go with it
    with pytest.raises(InvalidError, match="block_network=True and ports"):
        leveret.Sandbox.create(app=app, block_network=True, encrypted_ports=[8000])


def test_ended_execs_whose_output_was_read_are_let_go(cluster, sleeper, monkeypatch):
    from leveret.server import sandboxes

    monkeypatch.setattr(sandboxes, "READ_EXEC_KEPT_S", 0.0)
    read, unread = sleeper.exec("echo", "read"), sleeper.exec("echo", "unread")
    assert read.stdout.read() == "read\n" and read.stderr.read() == "" and read.wait() == 0
    assert unread.wait() == 0
    kept = cluster.server.dispatcher.sandboxes.processes
    cluster.wait_for(lambda d: read.object_id not in kept, timeout=10)
    assert unread.object_id in kept and unread.stdout.read() == "unread\n"   # its output waits for a reader


def test_exec_on_a_terminal_of_its_size_echoes_its_input(sleeper):
    class PTYInfo:   # what Modal's api_pb2.PTYInfo gives of a terminal
        winsz_rows, winsz_cols = 30, 100

    p = sleeper.exec("sh", "-c", "test -t 0 && test -t 1 && stty size; read line; echo got $line", pty_info=PTYInfo())
    lines = iter(p.stdout)
    assert next(lines) == "30 100\r\n"
    p.stdin.write(b"hello\n")   # (after: its terminal echoes what it is given at once)
    p.stdin.drain()
    assert p.wait() == 0
    assert "".join(lines).replace("\r\n", "\n") == "hello\ngot hello\n"
    plain = sleeper.exec("sh", "-c", "stty size; test -t 1", pty=True)
    assert plain.wait() == 0 and plain.stdout.read().strip() == "24 80" and plain.stderr.read() == ""


def test_a_command_on_a_terminal_is_the_sandbox_and_its_exit_code_the_sandbox_s(app):
    sb = leveret.Sandbox.create("sh", "-c", "stty size; test -t 0 && read line && echo got $line; exit 4",
                                app=app, pty=True)
    lines = iter(sb.stdout)
    assert next(lines) == "24 80\r\n"
    sb.stdin.write(b"hi\n")
    sb.stdin.drain()
    sb.wait()
    assert sb.returncode == 4
    assert "".join(lines).replace("\r\n", "\n") == "hi\ngot hi\n" and sb.stderr.read() == ""


def test_a_directory_snapshot_cannot_be_mounted_where_the_runtime_has_no_mounts(sleeper, tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f.txt").write_text("x")
    image = sleeper.snapshot_directory(str(tmp_path / "d"))   # its files are read where it runs: here, the host's
    assert '"op":"directory"' in image.to_json()
    with pytest.raises(InvalidError, match="cannot mount images into containers: mount_image needs a worker with"):
        sleeper.mount_image("/mnt/x", image)
    with pytest.raises(InvalidError, match="absolute path"):
        sleeper.snapshot_directory("relative/dir")


def test_from_inside_a_function_the_refusal_names_what_to_do(cluster):
    from apps import sandbox_inside

    with sandbox_inside.app.run(show_logs=False):
        with pytest.raises(NotImplementedOptionError, match="in the program that runs this one"):
            sandbox_inside.make_one.remote()
        with pytest.raises(NotImplementedOptionError, match="from the program that runs the app"):
            sandbox_inside.make_in_this_app.remote()


def test_an_inbound_allowlist_keeps_its_ports_from_other_clients(app, tmp_path):
    import socket

    from _http import fetch

    def free_port() -> int:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    (tmp_path / "hello.txt").write_text("hi\n")
    serve = "import functools, http.server, sys; http.server.ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), " \
            "functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[2])).serve_forever()"
    outcomes = {}
    for allowed in (["203.0.113.0/24"], ["127.0.0.0/8"]):
        port = free_port()
        sb = leveret.Sandbox.create("python3", "-c", serve, str(port), str(tmp_path), app=app, unencrypted_ports=[port],
                                    inbound_cidr_allowlist=allowed, readiness_probe=leveret.Probe.with_tcp(port))
        sb.wait_until_ready(timeout=30)
        tunnel = sb.tunnels()[port]
        status, _, body = fetch(tunnel.url + "/hello.txt")
        with socket.create_connection(tunnel.tcp_socket, timeout=10) as c:
            c.sendall(b"GET /hello.txt HTTP/1.0\r\n\r\n")
            raw = b""
            while chunk := c.recv(65536):
                raw += chunk
        outcomes[allowed[0]] = (status, body, raw.split(b"\r\n", 1)[0])
        sb.terminate()
    assert outcomes["127.0.0.0/8"] == (200, b"hi\n", b"HTTP/1.0 200 OK")
    status, body, raw = outcomes["203.0.113.0/24"]
    assert status == 403 and b"inbound_cidr_allowlist" in body and raw == b""   # (its raw port: closed at once)
    with pytest.raises(InvalidError, match="inbound_cidr_allowlist: 'everyone' is not a CIDR"):
        leveret.Sandbox.create(app=app, inbound_cidr_allowlist=["everyone"])


def test_an_outbound_policy_needs_its_secrets_keys_and_a_runtime_that_isolates(app):
    leveret.Secret.objects.create("outbound-test-key", {"API_KEY": "sk-1"}, allow_existing=True)
    secret = leveret.Secret.from_name("outbound-test-key")
    missing = leveret.OutboundPolicy(allow_tls_decryption=True, routes=[
        leveret.OutboundRoute.https(domains=["api.example.com"], header_replacements=[
            {"secret": secret, "headers": {"Authorization": "Bearer $API_TOKEN"}}]), leveret.OutboundRoute.any()])
    with pytest.raises(InvalidError, match=r"names \$API_TOKEN, which its secret does not have"):
        leveret.Sandbox.create(app=app, outbound_policy=missing)
    with pytest.raises(InvalidError, match="takes the place of block_network"):
        leveret.Sandbox.create(app=app, block_network=True, outbound_policy=leveret.OutboundPolicy(
            routes=[leveret.OutboundRoute.any().block()]))
    with pytest.raises(InvalidError, match="takes a leveret.OutboundPolicy"):
        leveret.Sandbox.create(app=app, outbound_policy={"routes": []})
    sb = leveret.Sandbox.create(app=app, outbound_policy=leveret.OutboundPolicy(
        routes=[leveret.OutboundRoute.tls(domains=["pypi.org"]), leveret.OutboundRoute.any().block()]))
    with pytest.raises(SandboxTerminatedError, match="cannot enforce outbound_policy=; run the worker as root with"
                       " --runtime crun"):   # (the process runtime keeps no network of its own)
        sb.wait_until_ready(timeout=10)
