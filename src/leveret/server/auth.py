"""Who is calling: the server's token (everything) or a worker's own token (a worker's RPCs only).

The server's token is made on first start and used by clients, the CLI and the embedded worker.
Each other host's worker joins with a token of its own (``leveret token create``): the store
keeps only its SHA-256, and with it a caller can only connect as a worker (one at a time per
token) and fetch the code of containers assigned to that worker — not call functions, read
outputs or see other workers' secrets.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from .._shared.ids import new_id
from .store import Store

ADMIN = "admin"
WORKER = "worker"
WORKER_METHODS = frozenset({"/leveret.v1.Leveret/WorkerConnect", "/leveret.v1.Leveret/MountGet",
                            "/leveret.v1.Leveret/BlobPut", "/leveret.v1.Leveret/BlobGet"})
TOKEN_PREFIX = "lvw_"


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Tokens:
    """The server's token and the workers' tokens in use (``load()`` reads them from the store)."""

    def __init__(self, admin_token: str, writes):
        self._admin = f"Bearer {admin_token}".encode()
        self.writes = writes   # the store's writer (writes.py)
        self._workers: dict[str, str] = {}

    async def load(self) -> None:
        tokens = await self.writes.run(Store.worker_tokens)
        self._workers = {t["sha256"]: t["id"] for t in tokens if t["revoked_at"] is None}

    def check(self, authorization: str | bytes | None) -> tuple[str, str] | None:
        """(ADMIN, "") or (WORKER, token_id) for a valid ``authorization`` header value, else None."""
        if not authorization:
            return None
        got = authorization.encode() if isinstance(authorization, str) else authorization
        if hmac.compare_digest(got, self._admin):
            return ADMIN, ""
        if got.startswith(b"Bearer " + TOKEN_PREFIX.encode()):
            token_id = self._workers.get(_sha(got[len(b"Bearer "):].decode(errors="replace")))
            if token_id is not None:
                return WORKER, token_id
        return None

    def caller(self, context) -> tuple[str, str] | None:
        """Who made this call (None: nobody known — refuse)."""
        for key, value in context.invocation_metadata() or ():
            if key == "authorization":
                return self.check(value)
        return None

    async def create(self, name: str) -> tuple[str, str]:
        token_id = new_id("wt")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        await self.writes.run(Store.add_worker_token, token_id, name, _sha(token))
        self._workers[_sha(token)] = token_id
        return token_id, token

    async def revoke(self, token_id: str) -> bool:
        if not await self.writes.run(Store.revoke_worker_token, token_id):
            return False
        self._workers = {sha: tid for sha, tid in self._workers.items() if tid != token_id}
        return True
