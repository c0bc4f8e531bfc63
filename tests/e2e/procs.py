"""Helpers for tests that start real Leveret processes."""

import os
import re
import socket
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
APPS = os.path.join(ROOT, "tests", "apps")


def leveret_cmd(*args):
    return [sys.executable, "-m", "leveret.cli", *args]


def clean_env(home, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEVERET_")}
    env["LEVERET_HOME"] = str(home)
    env.update(extra)
    return env


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
