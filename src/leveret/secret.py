"""``Secret``: environment variables a function (or an image pull) gets, without being in the code.

    leveret.Secret.from_dict({"API_KEY": "…"})
    leveret.Secret.from_local_environ(["API_KEY"])      # this machine's values
    leveret.Secret.from_dotenv(".env")

Values travel with the function's definition to its containers, as environment variables.
Named secrets stored on the server (``Secret.from_name``) come with the secret store.
"""

from __future__ import annotations

import os

from .exception import InvalidError, NotImplementedOptionError


class Secret:
    def __init__(self, env: dict[str, str]):
        self._env = dict(env)

    def __repr__(self) -> str:
        return f"<leveret.Secret {sorted(self._env)}>"   # names only, never values

    @staticmethod
    def from_dict(env_dict: dict[str, str | None]) -> "Secret":
        if not isinstance(env_dict, dict):
            raise InvalidError("Secret.from_dict takes a dict of names to str values, e.g. {'API_KEY': '…'}")
        env = {k: v for k, v in env_dict.items() if v is not None}
        bad = [k for k, v in env.items() if not isinstance(k, str) or not k or "=" in k or not isinstance(v, str)]
        if bad:
            raise InvalidError(f"Secret.from_dict: {bad[0]!r} needs a name without '=' and a str value")
        return Secret(env)

    @staticmethod
    def from_local_environ(env_keys: list[str]) -> "Secret":
        missing = [k for k in env_keys if k not in os.environ]
        if missing:
            raise InvalidError(f"Secret.from_local_environ: {', '.join(missing)} not set in this environment")
        return Secret({k: os.environ[k] for k in env_keys})

    @staticmethod
    def from_dotenv(path: str = ".env") -> "Secret":
        """NAME=value lines (# comments, optional quotes, optional `export`)."""
        env = {}
        try:
            with open(path) as f:
                for line in f:
                    line = line.strip()
                    if not line or line.startswith("#"):
                        continue
                    name, sep, value = line.removeprefix("export ").partition("=")
                    if not sep:
                        raise InvalidError(f"{path}: {line!r} is not NAME=value")
                    env[name.strip()] = value.strip().strip("'\"")
        except OSError as exc:
            raise InvalidError(f"Secret.from_dotenv: cannot read {path!r}: {exc}") from None
        return Secret(env)

    @staticmethod
    def from_name(name: str, *args, **kwargs) -> "Secret":
        raise NotImplementedOptionError(
            f"Secret.from_name({name!r}) needs the secret store, not there yet; use Secret.from_dict or from_local_environ")


def merged_env(secrets) -> dict[str, str]:
    """The environment a list of secrets gives, later ones winning; refuses what is not a Secret."""
    env: dict[str, str] = {}
    for s in secrets or ():
        if not isinstance(s, Secret):
            raise InvalidError(f"secrets= takes leveret.Secret objects, e.g. [leveret.Secret.from_dict({{...}})], not {s!r}")
        env.update(s._env)
    return env
