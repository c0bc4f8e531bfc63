"""Who is calling: the server's token (everything), a worker's own token (a worker's RPCs only), or
a container's token (the calls its function's code makes: scope.py says what it reaches).

The server's token is made on first start and used by clients, the CLI and the embedded worker.
Each other host's worker joins with a token of its own (``leveret token create``): the store
keeps only its SHA-256, and with it a caller can only connect as a worker (one at a time per
token) and fetch the code of containers assigned to that worker — not call functions, read
outputs or see other workers' secrets.

A container's token is made by the server for each container it starts and travels to its worker
with the assignment; the worker makes the container's calls with it (the container itself never
holds it: it asks its worker over its socket). It is the container's id and an HMAC of it under a
key derived from the server's token, so it needs no storage and holds across a server restart,
and it is refused once its container has ended (scope.py).

A proxy token (``leveret token create --proxy``) opens nothing of the API: requests to web functions
with ``requires_proxy_auth`` carry its id (pk-…) and its secret (ps-…) as their Modal-Key and
Modal-Secret headers, checked by the gateway against the secret's SHA-256; revoked, it is refused
from the next request on. It is kept beside the workers' tokens, told apart by its id.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from .._shared.ids import new_id
from .store import Store

ADMIN = "admin"
WORKER = "worker"
CONTAINER = "container"
WORKER_METHODS = frozenset({"/leveret.v1.Leveret/WorkerConnect", "/leveret.v1.Leveret/MountGet",
                            "/leveret.v1.Leveret/BlobPut", "/leveret.v1.Leveret/BlobGet"})
TOKEN_PREFIX = "lvw_"
CONTAINER_PREFIX = "lvc_"
PROXY_ID, PROXY_SECRET = "pk", "ps-"   # a proxy token: its id (pk-…, Modal-Key) and its secret (Modal-Secret)
# What a container's code may call: functions, their calls, the blobs of large payloads, and named
# objects (looked up or made by name, listed; a Dict's entries, a Queue's values, a Volume's files: its
# worker syncs its mounts with them) — not deleted, and not secrets' values.
CONTAINER_METHODS = frozenset(f"/leveret.v1.Leveret/{m}" for m in (
    "FunctionLookup", "FunctionBind", "FunctionRemote", "FunctionMap", "FunctionSpawn", "FunctionCallGet",
    "FunctionCallCancel", "FunctionCallGraph",
    "BlobPut", "BlobGet",
    "ObjectGetOrCreate", "ObjectList", "DictUpdate", "DictGet", "DictLen", "DictContents",
    "QueuePut", "QueueGet", "QueueLen", "QueueClear", "QueueNextItems",
    "VolumeChunksMissing", "VolumeChunkPut", "VolumeChunkGet", "VolumeCommit", "VolumeList", "VolumeGetFile",
    "VolumeChanges", "VolumeCopy", "TunnelOpen", "TunnelClose"))


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Tokens:
    """The server's token and the workers' tokens in use (``load()`` reads them from the store)."""

    def __init__(self, admin_token: str, writes):
        self._admin = f"Bearer {admin_token}".encode()
        self._container_key = hashlib.sha256(b"leveret container tokens\0" + admin_token.encode()).digest()
        self.writes = writes   # the store's writer (writes.py)
        self._workers: dict[str, str] = {}
        self._proxies: dict[str, str] = {}   # proxy token id -> its secret's SHA-256

    async def load(self) -> None:
        tokens = [t for t in await self.writes.run(Store.worker_tokens) if t["revoked_at"] is None]
        self._workers = {t["sha256"]: t["id"] for t in tokens if not t["id"].startswith(PROXY_ID + "-")}
        self._proxies = {t["id"]: t["sha256"] for t in tokens if t["id"].startswith(PROXY_ID + "-")}

    def proxy_allows(self, key: str | None, secret: str | None) -> bool:
        """Whether a request's Modal-Key and Modal-Secret are a proxy token's (not revoked)."""
        want = self._proxies.get(key or "")
        return want is not None and hmac.compare_digest(_sha(secret or ""), want)

    def check(self, authorization: str | bytes | None) -> tuple[str, str] | None:
        """(ADMIN, ""), (WORKER, token_id) or (CONTAINER, container_id) for a valid ``authorization``
        header value, else None."""
        if not authorization:
            return None
        got = authorization.encode() if isinstance(authorization, str) else authorization
        if hmac.compare_digest(got, self._admin):
            return ADMIN, ""
        if got.startswith(b"Bearer " + TOKEN_PREFIX.encode()):
            token_id = self._workers.get(_sha(got[len(b"Bearer "):].decode(errors="replace")))
            if token_id is not None:
                return WORKER, token_id
        if got.startswith(b"Bearer " + CONTAINER_PREFIX.encode()):
            container_id, _, _ = got[len(b"Bearer ") + len(CONTAINER_PREFIX):].decode(errors="replace").partition("_")
            if hmac.compare_digest(got[len(b"Bearer "):], self.container_token(container_id).encode()):
                return CONTAINER, container_id
        return None

    def container_token(self, container_id: str) -> str:
        """The token the server gives container ``container_id`` (its calls are made with it)."""
        mac = hmac.new(self._container_key, container_id.encode(), hashlib.sha256).hexdigest()[:40]
        return f"{CONTAINER_PREFIX}{container_id}_{mac}"

    def container_of(self, context) -> str:
        """The container whose token made this call, or "" (the server's token: no scope to check).
        The interceptor let only known tokens through, and a worker's only to a worker's RPCs."""
        found = self.caller(context)
        return found[1] if found is not None and found[0] == CONTAINER else ""

    def caller(self, context) -> tuple[str, str] | None:
        """Who made this call (None: nobody known — refuse)."""
        for key, value in context.invocation_metadata() or ():
            if key == "authorization":
                return self.check(value)
        return None

    async def create(self, name: str, *, proxy: bool = False) -> tuple[str, str]:
        """A worker's token (or with ``proxy``, a proxy token for web functions): (its id, the token)."""
        token_id = new_id(PROXY_ID if proxy else "wt")
        token = (PROXY_SECRET if proxy else TOKEN_PREFIX) + secrets.token_urlsafe(32)
        await self.writes.run(Store.add_worker_token, token_id, name, _sha(token))
        if proxy:
            self._proxies[token_id] = _sha(token)
        else:
            self._workers[_sha(token)] = token_id
        return token_id, token

    async def revoke(self, token_id: str) -> bool:
        if not await self.writes.run(Store.revoke_worker_token, token_id):
            return False
        self._workers = {sha: tid for sha, tid in self._workers.items() if tid != token_id}
        self._proxies.pop(token_id, None)   # at once: the gateway checks each request against these
        return True
