"""The key secrets are encrypted under, kept outside the database.

    LEVERET_SECRET_KEY set (base64 of 32 bytes) ─▶ that key (every server of a multi-host cluster
        gets the same); LEVERET_SECRET_KEY_OLD: the one before it, while secrets move to the new
    else ─▶ <server home>/secret.key (0600, made on first use)

A secret's values are one JSON object, sealed with AES-256-GCM: a fresh 12-byte nonce each time,
the secret's id as associated data (a row copied onto another secret's id does not open), stored
as (key id, nonce + ciphertext); the key id (a hash of the key) says which key opens it.

Rotation (``leveret secret rotate-key``): with a key file, a new key is written beside it
(secret.key.new), every secret is sealed again under it in one transaction, then the new file
takes the old one's place; a server stopped at any point still opens every secret, as it reads
every key file it finds. With the environment variable, the operator sets the new key as
LEVERET_SECRET_KEY and the old one as LEVERET_SECRET_KEY_OLD, restarts, then rotates: every
secret is sealed again under the current key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets as _random

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ENV_KEY = "LEVERET_SECRET_KEY"
ENV_OLD_KEY = "LEVERET_SECRET_KEY_OLD"
KEY_FILE = "secret.key"
NONCE_BYTES = 12


class KeyError_(Exception):
    """A key that cannot be used, or a secret no known key opens; the message names the fix."""


def key_id(key: bytes) -> str:
    return hashlib.sha256(b"leveret-secret-key:" + key).hexdigest()[:16]


def _decode(text: str, where: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise KeyError_(f"{where} is not a key: give base64 of 32 random bytes, e.g. the output of"
                        " `python3 -c 'import os, base64; print(base64.b64encode(os.urandom(32)).decode())'`")
    return key


class Keyring:
    """The current key (what seals) and every key that may still open a stored secret."""

    def __init__(self, current: bytes, others: list[bytes] = (), path: str = ""):
        self.current = current
        self.current_id = key_id(current)
        self.keys = {key_id(k): k for k in [*others, current]}
        self.path = path   # the key file ("": the key came from the environment)

    @classmethod
    def load(cls, home: str, environ=os.environ) -> "Keyring":
        if environ.get(ENV_KEY):
            old = [_decode(environ[ENV_OLD_KEY], ENV_OLD_KEY)] if environ.get(ENV_OLD_KEY) else []
            return cls(_decode(environ[ENV_KEY], ENV_KEY), old)
        path = os.path.join(home, KEY_FILE)
        others = [_read(p) for p in (path + ".new", path + ".old") if os.path.exists(p)]
        if not os.path.exists(path):
            if os.path.exists(path + ".new"):   # stopped between the two renames of a rotation
                os.replace(path + ".new", path)
                others = [_read(p) for p in (path + ".old",) if os.path.exists(p)]
            else:
                _write(path, _random.token_bytes(32))
        return cls(_read(path), others, path)

    def seal(self, secret_id: str, env: dict[str, str]) -> tuple[str, bytes]:
        nonce = _random.token_bytes(NONCE_BYTES)
        data = json.dumps(env, sort_keys=True).encode()
        return self.current_id, nonce + AESGCM(self.current).encrypt(nonce, data, secret_id.encode())

    def open(self, secret_id: str, kid: str, sealed: bytes) -> dict[str, str]:
        key = self.keys.get(kid)
        if key is None:
            raise KeyError_(f"secret {secret_id} was sealed under key {kid}, which this server does not have: start"
                            f" it with that key ({ENV_KEY}, or {ENV_OLD_KEY} while rotating, or its {KEY_FILE})")
        try:
            data = AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], secret_id.encode())
        except Exception:
            raise KeyError_(f"secret {secret_id} does not open under its key: its row was altered") from None
        return json.loads(data)

    def anonymous_id(self, env: dict[str, str]) -> str:
        """The id of a secret without a name: the same values give the same id (stored once), and
        without the key the id says nothing of them."""
        digest = hmac.new(self.current, json.dumps(env, sort_keys=True).encode(), hashlib.sha256).hexdigest()
        return "st-" + digest[:24]

    def rotation(self) -> "Keyring":
        """The keyring a rotation seals under: a new key, written beside the key file; or, with the
        key in the environment, the same current key (secrets under the old one move to it)."""
        if not self.path:
            return self
        new = _random.token_bytes(32)
        _write(self.path + ".new", new)
        return Keyring(new, list(self.keys.values()), self.path)

    def settle(self, used: set[str]) -> None:
        """At a server's start, with the key ids its stored secrets use: a rotation stopped after its
        transaction is finished (its new key is in use), one stopped before it is undone."""
        if not self.path:
            return
        for suffix in (".new", ".old"):
            leftover = self.path + suffix
            if os.path.exists(leftover):
                kid = key_id(_read(leftover))
                if suffix == ".new" and kid in used:
                    self.current, self.current_id = self.keys[kid], kid
                    self.finish_rotation()
                    return
                if kid not in used:
                    os.remove(leftover)
                    self.keys.pop(kid, None)

    def finish_rotation(self) -> None:
        """Every secret is sealed under this keyring's current key: its file becomes the key file."""
        if self.path and os.path.exists(self.path + ".new"):
            os.replace(self.path, self.path + ".old")
            os.replace(self.path + ".new", self.path)
            os.remove(self.path + ".old")
            self.keys = {self.current_id: self.current}


def _read(path: str) -> bytes:
    with open(path) as f:
        return _decode(f.read(), path)


def _write(path: str, key: bytes) -> None:
    fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(base64.b64encode(key).decode() + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(path + ".tmp", path)
