"""The embedded daemon: a server and one worker under $LEVERET_HOME, started on first use.

    leveret server start / the SDK ─ensure_running─▶ spawn `python -m leveret.cli.daemon`
        and read what it says on a pipe while it starts: "progress TEXT" (restoring spawned inputs,
        waiting for its worker ...), then "ready"; its end before that is an error, with the end
        of daemon.log. It is waited for while it says something at least every STALL_S, for at
        most START_CAP_S in all.
    $LEVERET_HOME/daemon.json {url, pid, worker_pid, http_url, worker_metrics_url, ...}: written once
        it is ready (again when its worker is restarted), removed when it stops.
        http_url: the server's /metrics and /healthz; worker_metrics_url: the worker's.
    $LEVERET_HOME/daemon.ports.json: the ports it had, taken again by the next daemon when free.
"""

from __future__ import annotations

import fcntl
import os
import select
import signal
import subprocess
import sys
import time

from . import config
from .exception import ConnectionError

# What the daemon process (leveret/cli/daemon.py) reads from its environment.
NOTIFY_FD_ENV = "LEVERET_DAEMON_NOTIFY_FD"   # a pipe it tells "progress TEXT" lines, then "ready"
PREVIOUS_ENV = "LEVERET_DAEMON_PREVIOUS"   # "PID STARTED_AT" of a daemon that ended without stopping

STALL_S = 60.0        # a starting daemon that says nothing for this long is given up on
START_CAP_S = 900.0   # and one not ready after this long, whatever it says
STOP_TIMEOUT_S = 30.0  # it stops its worker (which stops its containers), then its server


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    """A process that ended and was not reaped: a daemon this process started (a client's first
    run starts it) and that was killed is one, until it is reaped here."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    if state != "Z":
        return False
    try:
        os.waitpid(pid, os.WNOHANG)   # ours: reaped now
    except ChildProcessError:
        pass
    return True


def status() -> dict | None:
    """The running daemon's {url, pid, ...}, or None."""
    info = config.read_daemon_file()
    if info and _alive(info["pid"]):
        return info
    return None


def ensure_running(progress=None, *, unless_stopped: bool = False) -> dict:
    """Start the daemon unless it runs; return its info. Safe to call from many processes at once.
    ``progress(text)`` is told what a starting daemon does (it may restore many inputs).
    ``unless_stopped`` (a client reconnecting): not if someone stopped it with `leveret server stop`
    (it died otherwise): ConnectionError until it is started again."""
    info = status()
    if info:
        return info
    if unless_stopped and os.path.exists(stopped_path()):
        raise ConnectionError("the embedded daemon was stopped with `leveret server stop`: `leveret server start`"
                              " starts it again, and the run carries on")
    config.ensure_home()
    with open(os.path.join(config.home(), "daemon.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        info = status()
        if info:
            return info
        return _spawn(progress)


def stopped_path() -> str:
    """Present while the daemon is stopped on purpose (`leveret server stop`), until it is started again."""
    return os.path.join(config.home(), "daemon.stopped")


def _spawn(progress=None) -> dict:
    config.ensure_token()
    try:
        os.unlink(stopped_path())
    except FileNotFoundError:
        pass
    env = {**os.environ, "LEVERET_HOME": config.home()}
    left = config.read_daemon_file()   # a daemon that did not stop (killed): the next one says so
    if left and "pid" in left:
        env[PREVIOUS_ENV] = f"{left['pid']} {left.get('started_at', 0)}"
    try:
        os.unlink(config.daemon_path())
    except FileNotFoundError:
        pass
    log_path = os.path.join(config.home(), "daemon.log")
    read_end, write_end = os.pipe()
    try:
        with open(log_path, "ab") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "leveret.cli.daemon"], stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                start_new_session=True, pass_fds=(write_end,), env={**env, NOTIFY_FD_ENV: str(write_end)})
        os.close(write_end)
        write_end = -1
        return wait_ready(proc, read_end, log_path, progress)
    finally:
        os.close(read_end)
        if write_end >= 0:
            os.close(write_end)


def wait_ready(proc: subprocess.Popen, fd: int, log_path: str, progress=None, *, stall_s: float = STALL_S,
               cap_s: float = START_CAP_S) -> dict:
    """Wait for the daemon ``proc`` to say "ready" on ``fd``, as long as it says something at least
    every ``stall_s`` and for at most ``cap_s``; return its daemon.json. ConnectionError, with the
    end of its log, if it ends first (it is killed if it stalls or runs past the cap)."""
    start = last = time.monotonic()
    buffered = b""
    said = ""
    while True:
        now = time.monotonic()
        left = min(last + stall_s, start + cap_s) - now
        if left <= 0:
            proc.kill()
            proc.wait()
            why = (f"was not ready after {cap_s:g} s" if now >= start + cap_s
                   else f"said nothing for {stall_s:g} s while starting" + (f" (last: {said})" if said else ""))
            raise ConnectionError(f"the embedded Leveret daemon (pid {proc.pid}) {why}, and was stopped;"
                                  f" the end of {log_path}:\n{_tail(log_path)}")
        readable, _, _ = select.select([fd], [], [], left)
        if not readable:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:   # its end of the pipe closed: it ended
            try:
                code = proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                code = None
            ended = "closed its pipe" if code is None else \
                f"exited with status {code}" if code >= 0 else f"was killed by {_signal_name(-code)}"
            raise ConnectionError(f"the embedded Leveret daemon {ended} before it was ready; the end of"
                                  f" {log_path}:\n{_tail(log_path)}")
        last = time.monotonic()
        buffered += chunk
        *lines, buffered = buffered.split(b"\n")
        for line in lines:
            text = line.decode(errors="replace")
            if text == "ready":
                info = config.read_daemon_file()
                if info and info.get("pid") == proc.pid:
                    return info
            elif text.startswith("progress "):
                said = text[len("progress "):]
                if progress is not None:
                    progress(said)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _tail(log_path: str, lines: int = 15) -> str:
    try:
        with open(log_path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError as exc:
        return f"(cannot read it: {exc.strerror or exc})"


def stop(timeout: float = STOP_TIMEOUT_S) -> bool:
    """Stop the daemon; False if none was running."""
    info = status()
    if not info:
        return False
    with open(stopped_path(), "w"):   # its clients wait for a start rather than start it again
        pass
    os.kill(info["pid"], signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(info["pid"]):
        time.sleep(0.05)
    if _alive(info["pid"]):
        os.kill(info["pid"], signal.SIGKILL)
    return True

