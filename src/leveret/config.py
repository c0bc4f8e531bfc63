"""Where Leveret keeps its state and how the SDK finds its server.

- ``LEVERET_HOME`` (default ``~/.leveret``): the embedded daemon's database, token and files.
- ``LEVERET_SERVER_URL`` + ``LEVERET_TOKEN``: use that server instead of the embedded daemon.
- else the active profile of ``~/.leveret.toml`` (``LEVERET_CONFIG_PATH``; ``LEVERET_PROFILE`` picks
  another), as Modal's ``~/.modal.toml``: a table per profile with ``server_url`` and ``token``,
  ``active = true`` on the one in use (``leveret token set``, ``leveret profile activate``).
- else the embedded daemon.
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
    """The server named by the environment, else by the active profile, if any."""
    url = os.environ.get("LEVERET_SERVER_URL")
    if not url:
        name, profile = active_profile()
        if not profile:
            return None
        url, token = profile.get("server_url", ""), str(profile.get("token", "")).strip()
        where = f"profile {name} of {config_path()}"
        if not url or not token:
            raise InvalidError(f"{where} lacks {'server_url' if not url else 'token'}: set it with"
                               f" `leveret token set --server URL --token TOKEN --profile {name}`")
        check_token(token, f"the token of {where}")
        return ServerConfig(url, token, embedded=False)
    token = (os.environ.get("LEVERET_TOKEN") or "").strip()   # (a line's end copied with it is not part of it)
    if not token:
        raise InvalidError(f"LEVERET_SERVER_URL is set to {url} but LEVERET_TOKEN is not: set it to the server's token")
    check_token(token, "LEVERET_TOKEN")
    return ServerConfig(url, token, embedded=False)


def check_token(token: str, what: str) -> None:
    if not all(33 <= ord(c) < 127 for c in token):   # what an HTTP header may carry, less spaces
        raise InvalidError(f"{what} holds a space, a line break or a character a token never has: set it to"
                           " the token alone, as `leveret server` or `leveret token create` printed it")


# ------------------------------------------------------------------ profiles (~/.leveret.toml)


def config_path() -> str:
    return os.path.expanduser(os.environ.get("LEVERET_CONFIG_PATH") or "~/.leveret.toml")


def read_profiles() -> dict[str, dict]:
    """{profile: its settings} from the config file ({} without one); InvalidError naming the fix."""
    import tomllib

    try:
        with open(config_path(), "rb") as f:
            data = tomllib.load(f)
    except (FileNotFoundError, NotADirectoryError):   # no file there
        return {}
    except (tomllib.TOMLDecodeError, OSError) as exc:
        raise InvalidError(f"cannot read {config_path()} ({exc}): fix it, or move it away and"
                           " `leveret token set` again") from None
    return {name: table for name, table in data.items() if isinstance(table, dict)}


def active_profile() -> tuple[str, dict]:
    """(name, settings) of the profile in use: LEVERET_PROFILE's, else the one marked active, else
    the only one; ("", {}) without any."""
    profiles = read_profiles()
    wanted = os.environ.get("LEVERET_PROFILE")
    if wanted:
        if wanted not in profiles:
            raise InvalidError(f"LEVERET_PROFILE={wanted}: {config_path()} has no such profile"
                               f" ({', '.join(profiles) or 'none'}): `leveret profile list`")
        return wanted, profiles[wanted]
    marked = [name for name, p in profiles.items() if p.get("active")]
    name = marked[0] if marked else next(iter(profiles)) if len(profiles) == 1 else ""
    return name, profiles.get(name, {})


def write_profiles(profiles: dict[str, dict]) -> None:
    """The config file, owner-only (it holds tokens), replaced whole."""
    lines = []
    for name, table in profiles.items():
        lines.append(f"[{json.dumps(name)}]")
        for key, value in table.items():
            lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")   # (JSON's strings, booleans: TOML's)
        lines.append("")
    path = config_path()
    tmp = f"{path}.tmp-{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(lines))
    os.replace(tmp, path)


def environment() -> str:
    """The environment objects and apps are in when none is named: LEVERET_ENVIRONMENT, else the
    active profile's ``environment``, else "" (the server's default, "main")."""
    if os.environ.get("LEVERET_ENVIRONMENT"):
        return os.environ["LEVERET_ENVIRONMENT"]
    try:
        return str(active_profile()[1].get("environment", ""))
    except InvalidError:   # (a broken file says so where the server is chosen)
        return ""
