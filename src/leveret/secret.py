"""``Secret``: environment variables a function gets, kept on the server, never in the code.

    leveret.Secret.from_name("openai", required_keys=["OPENAI_API_KEY"])   # made with `leveret secret create`
    leveret.Secret.from_dict({"API_KEY": "…"})
    leveret.Secret.from_local_environ(["API_KEY"])      # this machine's values
    leveret.Secret.from_dotenv(".env")

The server keeps every secret's values encrypted (server/secrets.py): those given here are sent
once, when the app starts (SecretCreate), and a function's definition names its secrets by id.
Only the worker of a container whose function uses a secret gets its values, as environment
variables of that container. ``Secret.objects.create(name, {...})`` / ``list()`` / ``delete(name)``
as Modal's; listing shows names and keys, never values.
"""

from __future__ import annotations

import os

from ._object import ObjectManager, _client_or, _environment, _Object
from ._utils.synchronize import synchronize
from .exception import AlreadyExistsError, InvalidError, NotFoundError


def _check_env(env, what: str) -> dict[str, str]:
    if not isinstance(env, dict):
        raise InvalidError(f"{what} takes a dict of names to str values, e.g. {{'API_KEY': '…'}}")
    env = {k: v for k, v in env.items() if v is not None}
    bad = [k for k, v in env.items() if not isinstance(k, str) or not k or "=" in k or not isinstance(v, str)]
    if bad:
        raise InvalidError(f"{what}: {bad[0]!r} needs a name without '=' and a str value")
    return env


class SecretManager(ObjectManager):
    """``Secret.objects``: a secret is created with its values."""

    @synchronize
    async def create(self, name: str, env_dict: dict[str, str], *, allow_existing: bool = False,
                     environment_name: str | None = None, client=None) -> None:
        """Create a named secret; AlreadyExistsError if the name is taken, unless ``allow_existing``
        (then the one there is kept, as Modal's)."""
        try:
            await _create(name, env_dict, environment_name, client, overwrite=False)
        except AlreadyExistsError:
            if not allow_existing:
                raise


async def _create(name: str, env: dict, environment_name: str | None, client, *, overwrite: bool) -> tuple[str, list]:
    """Store a secret's values on the server (``name`` "": one without a name); (its id, its keys)."""
    env = _check_env(env, "a Secret")
    client = await _client_or(client)
    resp = await client.object_call("SecretCreate", {"name": name, "environment_name": environment_name or _environment(),
                                                     "env": env, "overwrite": overwrite})
    return resp["secret_id"], list(resp["keys"])


class Secret(_Object, kind="secret", type_prefix="st"):
    _manager = SecretManager

    @classmethod
    def _local(cls, env: dict[str, str]) -> "Secret":
        obj = cls._handle("", None, False)
        obj._env = env
        return obj

    def __repr__(self) -> str:
        if self._name:
            return super().__repr__()
        return f"<leveret.Secret {sorted(self._env)}>"   # names only, never values

    @classmethod
    def from_name(cls, name: str, *, environment_name: str | None = None, required_keys: list[str] = ()) -> "Secret":
        """A secret made with ``leveret secret create NAME KEY=value`` (or Secret.objects.create): a
        run or deploy fails before anything starts if it is missing, or lacks one of ``required_keys``."""
        if isinstance(required_keys, str) or not all(isinstance(k, str) for k in required_keys):
            raise InvalidError("required_keys takes a list of names, e.g. required_keys=['API_KEY']")
        obj = super().from_name(name, environment_name=environment_name)
        obj._required_keys = list(required_keys)
        return obj

    @staticmethod
    def from_dict(env_dict: dict[str, str | None]) -> "Secret":
        return Secret._local(_check_env(env_dict, "Secret.from_dict"))

    @staticmethod
    def from_local_environ(env_keys: list[str]) -> "Secret":
        """The values of these variables of this process's environment. In a container (its
        module imported there) nothing is read: the container has its values from the server."""
        from ._context import is_local

        if not is_local():
            return Secret._local({})
        missing = [k for k in env_keys if k not in os.environ]
        if missing:
            raise InvalidError(f"Secret.from_local_environ: {', '.join(missing)} not set in this environment")
        return Secret._local({k: os.environ[k] for k in env_keys})

    @staticmethod
    def from_dotenv(path: str = ".env", *, filename: str = ".env") -> "Secret":
        """NAME=value lines (# comments, optional quotes, optional `export`) of a file, or of
        ``filename`` in the directory ``path``."""
        from ._context import is_local

        if not is_local():   # imported in a container: its values came from the server
            return Secret._local({})
        if os.path.isdir(path):
            path = os.path.join(path, filename)
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
        return Secret._local(env)

    @property
    def keys(self) -> list[str]:
        """Its variables' names (a named secret's, once hydrated)."""
        return sorted(self._env) if not self._name else list(self._attributes.get("keys", []))

    async def _resolve(self, client) -> tuple[str, dict]:
        """Its id on the server of ``client``, stored or looked up now (never cached: a program may
        talk to more than one server), and a named one's description."""
        if not self._name:
            secret_id, _ = await _create("", self._env, None, client, overwrite=False)
            return secret_id, {}
        found = await type(self)._get_or_create(self._name, self._environment_name, client, create="")
        have = found._attributes.get("keys", [])
        missing = [k for k in getattr(self, "_required_keys", ()) if k not in have]
        if missing:
            raise NotFoundError(f"Secret {self._name!r} has no {', '.join(missing)} (it has {', '.join(have) or 'no keys'}):"
                                f" add them with `leveret secret create {self._name} {missing[0]}=... --force` (with its"
                                " other keys)")
        return found._object_id, found.__dict__

    async def _live(self, client=None):
        client = await _client_or(client)
        secret_id, found = await self._resolve(client)
        self._object_id, self._client = secret_id, client
        if found:
            self._created_at, self._attributes = found["_created_at"], found["_attributes"]
        return client


async def secret_ids(secrets, client) -> list[str]:
    """The server's ids of these secrets, stored or looked up now (in order: later ones win)."""
    secrets = check_secrets(secrets)
    if secrets and not hasattr(client, "call"):
        from .exception import NotImplementedOptionError

        raise NotImplementedOptionError("secrets for a copy made with with_options(secrets=, env=) inside a container are"
                                        " not supported yet: give them where the function is defined")
    return [(await s._resolve(client))[0] for s in check_secrets(secrets)]


def check_secrets(secrets) -> list[Secret]:
    """A list of Secrets; refuses anything else."""
    for s in secrets or ():
        if not isinstance(s, Secret):
            raise InvalidError(f"secrets= takes leveret.Secret objects, e.g. [leveret.Secret.from_name('api')], not {s!r}")
    return list(secrets or ())


def merged_env(secrets) -> dict[str, str]:
    """The values of secrets given here (from_dict, from_local_environ, from_dotenv), later ones
    winning: for what the client itself uses them for (a registry's credentials)."""
    env: dict[str, str] = {}
    for s in check_secrets(secrets):
        if s._name:
            raise InvalidError(f"{s!r}: its values stay on the server; give these credentials with Secret.from_dict,"
                               " from_local_environ or from_dotenv")
        env.update(s._env)
    return env
