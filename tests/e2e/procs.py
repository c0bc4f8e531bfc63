"""Helpers for tests that start real Leveret processes."""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
APPS = os.path.join(ROOT, "tests", "apps")


def leveret_cmd(*args):
    return [sys.executable, "-m", "leveret.cli", *args]


def clean_env(home, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEVERET_")}
    env["LEVERET_HOME"] = str(home)
    env["LEVERET_CONFIG_PATH"] = os.path.join(str(home), "leveret.toml")   # (not the user's profiles)
    env.update(extra)
    return env


def processes_named(word: str) -> list[int]:
    """The host's processes with ``word`` as one of their command line's arguments."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if word.encode() in f.read().split(b"\0"):
                    found.append(int(pid))
        except OSError:   # it ended
            pass
    return found


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_line(proc, pattern, timeout=30):
    """Read proc's stdout until a line matches; return the lines read."""
    deadline = time.monotonic() + timeout
    lines = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if re.search(pattern, line):
            return lines
    raise AssertionError(f"no line matching {pattern!r}; got {lines}")


class LineLog:
    """A process's output, read on a thread into ``lines``, so a test can wait for a line while the
    pipe keeps draining (a process whose pipe fills up blocks in its logging). It closes the pipe
    at the end of the output."""

    def __init__(self, stream):
        self.lines: list[str] = []
        self.closed = False
        self._changed = threading.Condition()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream) -> None:
        with stream:   # closed at the end of the output: the reader owns it
            for line in stream:
                with self._changed:
                    self.lines.append(line)
                    self._changed.notify_all()
        with self._changed:
            self.closed = True
            self._changed.notify_all()

    def wait_until(self, predicate, timeout=30, what="the expected lines"):
        """Wait until ``predicate(lines)`` is true and return it; fail when the output ended first, or at timeout."""
        with self._changed:
            self._changed.wait_for(lambda: predicate(self.lines) or self.closed, timeout)
            value = predicate(self.lines)
            if not value:
                why = "the output ended" if self.closed else f"{timeout} s passed"
                raise AssertionError(f"{why} before {what}; got {''.join(self.lines[-40:])}")
            return value

    def wait_for_line(self, pattern, timeout=30) -> re.Match:
        """The first line matching ``pattern``, waiting for it."""
        def match(lines):
            return next((m for line in lines if (m := re.search(pattern, line))), None)
        return self.wait_until(match, timeout, f"a line matching {pattern!r}")

    def wait_closed(self, timeout=30) -> None:
        self.wait_until(lambda _: self.closed, timeout, "the end of the output")

    def text(self) -> str:
        with self._changed:
            return "".join(self.lines)


TOKEN = "faults-token-123"


class Procs:
    """Real `leveret server` and `leveret worker` processes, stopped at the end."""

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.env = clean_env(tmp_path / "home")
        self.url = ""
        self.procs: list[subprocess.Popen] = []   # in start order: the server first

    def start(self, *args, env=None) -> tuple[subprocess.Popen, LineLog]:
        proc = subprocess.Popen(leveret_cmd(*args), env=env or self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        self.procs.append(proc)
        return proc, LineLog(proc.stdout)

    def server(self) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        _, log = self.start("server", "--listen", f"127.0.0.1:{port}", "--db", f"sqlite:///{self.tmp_path}/state.db",
                            "--token", TOKEN, "--http", "127.0.0.1:0",
                            "--gateway", "127.0.0.1:0")
        log.wait_for_line("listening on")

    def worker(self, workdir, *args, env=None) -> tuple[subprocess.Popen, LineLog]:
        return self.start("worker", "--server", self.url, "--token", TOKEN, "--workdir", str(workdir), *args, env=env)

    def stop(self) -> None:
        stop_processes(self.procs)


def stop_processes(procs: list, timeout: float = 15) -> None:
    """SIGTERM each (the last started first), then wait; SIGKILL one that does not end in ``timeout``."""
    for p in reversed(procs):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in reversed(procs):
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def wait_until(predicate, what: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{timeout} s passed before {what}")
        time.sleep(0.05)
    return value
