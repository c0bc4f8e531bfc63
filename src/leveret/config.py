"""Where Leveret keeps its state and how the SDK finds its server.

- ``LEVERET_HOME`` (default ``~/.leveret``): the embedded daemon's database, token and files.
- ``LEVERET_SERVER_URL`` + ``LEVERET_TOKEN``: use that server instead of the embedded daemon.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from dataclasses import dataclass

from .exception import InvalidError


class HomeError(InvalidError):
    """``LEVERET_HOME`` cannot be used; the message names the path and the fix."""


def home() -> str:
    return os.path.abspath(os.path.expanduser(os.environ.get("LEVERET_HOME") or "~/.leveret"))


def _home_error(exc: OSError, doing: str = "write to") -> HomeError:
    return HomeError(f"cannot {doing} LEVERET_HOME={home()} ({exc.strerror or exc}):"
                     " point LEVERET_HOME at a writable directory")


def ensure_home() -> str:
    """``home()``, made if missing (readable by its owner only); HomeError if it cannot be written."""
    path = home()
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)   # the store in it holds functions' secrets
        with tempfile.TemporaryFile(dir=path):        # a read-only mount, or no write permission
            pass
    except OSError as exc:
        raise _home_error(exc) from None
    return path


def token_path() -> str:
    return os.path.join(home(), "token")


def daemon_path() -> str:
    return os.path.join(home(), "daemon.json")


def ensure_token() -> str:
    """The embedded daemon's token, made on first use (readable by its owner only)."""
    path = token_path()
    ensure_home()
    try:
        with open(path) as f:
            return f.read().strip()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise _home_error(exc, "use") from None
    token = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(token + "\n")
    return token


@dataclass(frozen=True)
class ServerConfig:
    url: str
    token: str
    embedded: bool   # True: the local daemon, started on demand


def read_daemon_file() -> dict | None:
    try:
        with open(daemon_path()) as f:
            return json.load(f)
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    except OSError as exc:   # e.g. LEVERET_HOME is under a file
        raise _home_error(exc, "use") from None


def explicit_server() -> ServerConfig | None:
    """The server named by the environment, if any."""
    url = os.environ.get("LEVERET_SERVER_URL")
    if not url:
        return None
    token = (os.environ.get("LEVERET_TOKEN") or "").strip()   # (a line's end copied with it is not part of it)
    if not token:
        raise InvalidError(f"LEVERET_SERVER_URL is set to {url} but LEVERET_TOKEN is not: set it to the server's token")
    if not all(33 <= ord(c) < 127 for c in token):   # what an HTTP header may carry, less spaces
        raise InvalidError("LEVERET_TOKEN holds a space, a line break or a character a token never has: set it to"
                           " the token alone, as `leveret server` or `leveret token create` printed it")
    return ServerConfig(url, token, embedded=False)
