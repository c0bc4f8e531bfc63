"""The embedded daemon: a server and one worker under $LEVERET_HOME, started on first use.

    leveret server start  ──spawn──▶  python -m leveret._daemon
                                       ├─ server (this process, 127.0.0.1:<free port>, sqlite)
                                       └─ worker (child process, `leveret worker`)
    writes $LEVERET_HOME/daemon.json {url, pid, http_url, worker_metrics_url, ...} once both are up;
    removes it on exit. http_url: the server's /metrics and /healthz; worker_metrics_url: the worker's.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import logging
import os
import signal
import subprocess
import sys
import time

from . import config
from .exception import ConnectionError

START_TIMEOUT_S = 30.0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def status() -> dict | None:
    """The running daemon's {url, pid, ...}, or None."""
    info = config.read_daemon_file()
    if info and _alive(info["pid"]):
        return info
    return None


def ensure_running() -> dict:
    """Start the daemon unless it runs; return its info. Safe to call from many processes at once."""
    info = status()
    if info:
        return info
    config.ensure_home()
    with open(os.path.join(config.home(), "daemon.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        info = status()
        if info:
            return info
        return _spawn()


def _spawn() -> dict:
    config.ensure_token()
    try:
        os.unlink(config.daemon_path())
    except FileNotFoundError:
        pass
    log_path = os.path.join(config.home(), "daemon.log")
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "leveret._daemon"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
            env={**os.environ, "LEVERET_HOME": config.home()},
        )
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        info = config.read_daemon_file()
        if info and info.get("pid") == proc.pid:
            return info
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    proc.kill()
    with open(log_path, errors="replace") as f:
        tail = "".join(f.readlines()[-15:])
    raise ConnectionError(f"the embedded Leveret daemon did not start; the end of {log_path}:\n{tail}")


def stop(timeout: float = 10.0) -> bool:
    """Stop the daemon; False if none was running."""
    info = status()
    if not info:
        return False
    os.kill(info["pid"], signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(info["pid"]):
        time.sleep(0.05)
    if _alive(info["pid"]):
        os.kill(info["pid"], signal.SIGKILL)
    return True


def _free_port() -> int:
    """A port free now on 127.0.0.1 (for the worker's metrics; it binds it a moment later)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _main() -> None:
    from .server.main import Server

    home = config.home()
    token = config.ensure_token()
    server = await Server.start(listen="127.0.0.1:0", db=os.path.join(home, "state.db"), token=token)
    metrics_port = _free_port()
    worker = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "leveret.cli", "worker", "--server", server.url,
        "--workdir", os.path.join(home, "worker"), "--metrics", f"127.0.0.1:{metrics_port}",
        env={**os.environ, "LEVERET_TOKEN": token}, start_new_session=True,
    )
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    # Ready once the worker has registered, so the first run does not wait for it.
    for _ in range(int(START_TIMEOUT_S / 0.01)):
        if server.dispatcher.workers or worker.returncode is not None:
            break
        await asyncio.sleep(0.01)
    info = {"url": server.url, "pid": os.getpid(), "worker_pid": worker.pid, "started_at": time.time(),
            "http_url": server.http_url, "worker_metrics_url": f"http://127.0.0.1:{metrics_port}"}
    tmp = config.daemon_path() + ".tmp"
    with open(tmp, "w") as f:
        json.dump(info, f)
    os.replace(tmp, config.daemon_path())
    waiter = asyncio.ensure_future(worker.wait())
    await asyncio.wait({waiter, asyncio.ensure_future(stopping.wait())}, return_when=asyncio.FIRST_COMPLETED)
    try:
        os.unlink(config.daemon_path())
    except FileNotFoundError:
        pass
    if worker.returncode is None:
        worker.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(worker.wait(), 10)
        except asyncio.TimeoutError:
            worker.kill()
    await server.stop()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    from ._utils.async_utils import run_loop

    run_loop(_main())
