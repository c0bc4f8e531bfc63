"""The embedded daemon's process (``python -m leveret.cli.daemon``, spawned by leveret/_daemon.py): a server, and a worker it keeps running.

    pick ports: those of the last daemon here when free (daemon.ports.json), so clients and
        workers find it at the same URL, else free ones
    start the worker at once, before importing much (`leveret worker --exit-with-parent`: it ends
        with the daemon, even a killed one; it waits for the workdir while an older worker still
        holds it), then, in daemon_loop.py:
    start the server (the store, deployed apps and their spawned inputs restored)
    ready once the worker registered (or it ended first): daemon.json written, "ready" told
    supervise: a worker that ends is started again after 0.5 s, doubling to 30 s, back to 0.5 s
        after one stayed up 60 s; each end logged with its exit status or signal
    SIGTERM / SIGINT: the worker is stopped, then the server; daemon.json removed

It tells the process that started it what it does on the pipe named by LEVERET_DAEMON_NOTIFY_FD:
"progress TEXT" lines while it starts (the waiter in leveret/_daemon.py waits while they come), then
"ready". Every end of the daemon is logged (daemon.log) with its reason, but a SIGKILL's: the
next daemon says that one.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time

from .. import config
from .._daemon import NOTIFY_FD_ENV, PREVIOUS_ENV

# asyncio, uvloop and the server (daemon_loop.py) are imported after the first worker has started:
# it imports its own modules meanwhile, on another core.

log = logging.getLogger("leveret.daemon")

RESTART_FIRST_S = 0.5
RESTART_MAX_S = 30.0
RESTART_RESET_S = 60.0       # a worker that stayed up this long starts the back-off again
WORKDIR_WAIT_S = 60.0        # a new worker waits this long for an older one to leave the workdir
WORKER_STOP_S = 20.0         # a stopping worker gets this long (it stops its containers), then SIGKILL
PROGRESS_EVERY_S = 1.0


def ports_path() -> str:
    return os.path.join(config.home(), "daemon.ports.json")


def describe_exit(returncode: int) -> str:
    """How a process ended, from its return code (negative: the signal that ended it)."""
    if returncode < 0:
        try:
            return f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with status {returncode}"


def port_free(port: int | None) -> bool:
    """``port`` can be listened on at 127.0.0.1 now (as servers bind: SO_REUSEADDR)."""
    if not port:
        return False
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_json(path: str, data: dict) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f)
    os.replace(tmp, path)


class Notifier:
    """What the daemon tells the process waiting for it to start (nothing when none waits)."""

    def __init__(self) -> None:
        fd = os.environ.pop(NOTIFY_FD_ENV, "")
        self.fd = int(fd) if fd.isdigit() else None
        if self.fd is not None:
            os.set_inheritable(self.fd, False)   # the worker must not hold it: its end says the daemon died

    def _say(self, line: str) -> None:
        if self.fd is None:
            return
        try:
            os.write(self.fd, (line.replace("\n", " ") + "\n").encode())
        except OSError:   # the waiter is gone: nobody to tell
            self.close()

    def progress(self, text: str) -> None:
        log.info("%s", text)
        self._say(f"progress {text}")

    def ready(self) -> None:
        self._say("ready")
        self.close()

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


class Starter:
    """What the daemon does before its event loop runs, and its state: ports, the worker process."""

    def __init__(self, notify: Notifier):
        self.notify = notify
        self.home = config.home()
        self.token = config.ensure_token()
        self.url = ""
        self.ports: dict = {}
        self.metrics_port = 0
        self.worker: subprocess.Popen | None = None
        self.worker_started = 0.0     # time.monotonic() of its start
        self.worker_ended = 0         # how many workers ended (a restarted one is not the first)
        self.respawn_now = False      # the next worker starts without waiting (the URL changed)
        self.info: dict | None = None  # daemon.json, once ready

    def prepare(self) -> None:
        """Before the event loop: say what ended the last daemon if it did not stop, pick the ports,
        and start the first worker."""
        previous = os.environ.pop(PREVIOUS_ENV, "").split()
        if len(previous) == 2:
            log.warning("the daemon before this one (pid %s, started %s) ended without stopping: it was killed,"
                        " or its machine went down", previous[0],
                        time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(previous[1]))))
        self.ports = self._last_ports()
        grpc_port = self.ports.get("grpc") if port_free(self.ports.get("grpc")) else free_port()
        self.url = f"http://127.0.0.1:{grpc_port}"
        self.metrics_port = self.ports.get("worker_metrics") or 0
        self.start_worker()

    def _last_ports(self) -> dict:
        try:
            with open(ports_path()) as f:
                return {k: v for k, v in json.load(f).items() if isinstance(v, int)}
        except (OSError, ValueError, AttributeError):
            return {}

    def start_worker(self) -> None:
        if not port_free(self.metrics_port):
            self.metrics_port = free_port()
        self.worker = subprocess.Popen(
            [sys.executable, "-m", "leveret.cli", "worker", "--server", self.url,
             "--workdir", os.path.join(self.home, "worker"), "--metrics", f"127.0.0.1:{self.metrics_port}",
             "--exit-with-parent", str(os.getpid()), "--wait-for-workdir", f"{WORKDIR_WAIT_S:g}"],
            env={**os.environ, "LEVERET_TOKEN": self.token}, stdin=subprocess.DEVNULL, start_new_session=True)
        self.worker_started = time.monotonic()
        self.write_info()

    def write_info(self) -> None:
        """daemon.json, once ready: rewritten with each new worker."""
        if self.info is None:
            return
        self.info.update(worker_pid=self.worker.pid if self.worker is not None else 0,
                         worker_metrics_url=f"http://127.0.0.1:{self.metrics_port}")
        write_json(config.daemon_path(), self.info)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    notify = Notifier()
    try:
        starter = Starter(notify)
        starter.prepare()
        from .daemon_loop import Daemon
        from .._shared.aio import run_loop

        run_loop(Daemon(starter).run())
    except Exception as exc:   # its end is logged, with why
        log.critical("leveret daemon exiting: %s: %s", type(exc).__name__, exc, exc_info=not isinstance(exc, OSError))
        notify.close()
        sys.exit(1)


if __name__ == "__main__":
    main()
