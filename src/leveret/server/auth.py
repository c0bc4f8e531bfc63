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

A user's token (``leveret token create NAME --scope SCOPE``) is the server's token cut down to a
scope: ``admin`` (everything the server's token may), ``deploy`` (deploy, roll back and stop apps,
named secrets, deletes, container stops, autoscaler changes — and what ``run`` may), ``run`` (run
apps, call functions, sandboxes, Dicts, Queues and Volumes — and what ``read-only`` may) or
``read-only`` (list, describe, read logs, results and named objects; the dashboard and /metrics).
Revoking one (or a worker's) refuses it from the next request on and ends the calls open with it
(``Tokens.watch``): streams of logs and results too.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import secrets
import time

from .._shared.ids import new_id
from .errors import Forbidden, Invalid
from .store import Store

ADMIN = "admin"
WORKER = "worker"
CONTAINER = "container"
DEPLOY, RUN, READ_ONLY = "deploy", "run", "read-only"
SCOPES = (ADMIN, DEPLOY, RUN, READ_ONLY)   # a user's token's, widest first
USER_PREFIX = "lvu_"
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


def _methods(*names: str) -> frozenset[str]:
    return frozenset(f"/leveret.v1.Leveret/{m}" for m in names)


# Open to anyone, without a token: `leveret token new` asks for one (token_flows.py says why that is safe).
OPEN_METHODS = _methods("TokenFlowCreate", "TokenFlowWait")


# What each user scope may call. Some methods are narrowed by their request too (Tokens.require):
# ObjectGetOrCreate creates only from run up, AppCreate deploys and SecretCreate names a secret only
# from deploy up, AppStop stops a deployed app only from deploy up.
READ_METHODS = _methods(
    "AppLookup", "AppList", "AppHistory", "MountGet", "FunctionLookup", "FunctionDescribe", "FunctionStats",
    "ContainerList", "FunctionCallGet", "FunctionCallGraph", "LogsStream", "BlobGet", "WorkerList",
    "ObjectGetOrCreate", "ObjectList", "DictGet", "DictLen", "DictContents", "QueueLen", "QueueNextItems",
    "VolumeChunkGet", "VolumeList", "VolumeGetFile", "VolumeChanges", "SandboxGet", "SandboxList",
    "SandboxTunnels", "SandboxWaitReady", "ProcessRead", "ProcessWait", "DirectPortGet", "DashboardLink",
    "FunctionCalls", "CallShow", "AppDescribe", "EnvironmentList")
RUN_METHODS = READ_METHODS | _methods(
    "AppCreate", "AppStop", "AppHeartbeat", "MountGetMissing", "MountCreate", "FunctionCreate", "FunctionBind",
    "FunctionRemote", "FunctionMap", "FunctionSpawn", "FunctionCallCancel", "BlobPut", "SecretCreate", "DictUpdate",
    "QueuePut", "QueueGet", "QueueClear", "VolumeChunksMissing", "VolumeChunkPut", "VolumeCommit", "VolumeCopy",
    "SandboxCreate", "SandboxTerminate", "SandboxTagsSet", "SandboxDetach", "SandboxExec", "ProcessWrite",
    "ProcessKill", "SandboxSnapshot", "SandboxMount", "TunnelOpen", "TunnelClose", "ContainerExec", "InputReplay")
DEPLOY_METHODS = RUN_METHODS | _methods(
    "AppPublish", "AppRollback", "FunctionUpdateAutoscaler", "ObjectDelete", "ContainerStop", "EnvironmentCreate")
SCOPE_METHODS = {DEPLOY: DEPLOY_METHODS, RUN: RUN_METHODS, READ_ONLY: READ_METHODS}


def allows(role: str, method: str) -> bool:
    """Whether a caller of ``role`` (Tokens.check's first) may call gRPC ``method`` (its full name)."""
    if role == ADMIN:
        return True
    if role == WORKER:
        return method in WORKER_METHODS
    if role == CONTAINER:
        return method in CONTAINER_METHODS
    return method in SCOPE_METHODS.get(role, ())


def refusal(role: str, method: str) -> str:
    """Why ``role`` may not call ``method``, and the fix."""
    name = method.rpartition("/")[2]
    if role == WORKER:
        return "a worker's token only connects a worker: use the server's token here"
    if role == CONTAINER:
        return "a container's token only calls functions (its app's and deployed ones): use the server's token here"
    wider = next(s for s in reversed(SCOPES) if allows(s, method))
    return f"{_a(role)} token may not call {name}: that needs {_a(wider)} token ({_HOW.format(wider)})"


_HOW = "`leveret token create NAME --scope {}`, by an admin"


def _a(scope: str) -> str:
    return f"an {scope}" if scope[0] in "aeiou" else f"a {scope}"


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


LOGIN_CODE_S = 60.0   # how long a dashboard login link works (once)


class Tokens:
    """The server's token and the workers' tokens in use (``load()`` reads them from the store)."""

    def __init__(self, admin_token: str, writes):
        self._admin = f"Bearer {admin_token}".encode()
        self._container_key = hashlib.sha256(b"leveret container tokens\0" + admin_token.encode()).digest()
        self.writes = writes   # the store's writer (writes.py)
        self._workers: dict[str, str] = {}
        self._users: dict[str, tuple[str, str]] = {}   # a user token's SHA-256 -> (its scope, its id)
        self._proxies: dict[str, str] = {}   # proxy token id -> its secret's SHA-256
        self._revoked: set[str] = set()   # revoked tokens' SHA-256: refused saying so
        self._open: dict[str, set[asyncio.Task]] = {}   # token id -> the calls it has open (watch)
        self.revoked_hooks: list = []   # called with a revoked token's id (the direct port closes its connections)
        self._login_codes: dict[str, tuple[str, float]] = {}   # dashboard login code -> (the token, until when)
        from .token_flows import TokenFlows

        self.flows = TokenFlows(self)   # `leveret token new`'s requests, approved in the dashboard

    async def load(self) -> None:
        rows = await self.writes.run(Store.worker_tokens)
        self._revoked = {t["sha256"] for t in rows if t["revoked_at"] is not None}
        tokens = [t for t in rows if t["revoked_at"] is None]
        self._proxies = {t["id"]: t["sha256"] for t in tokens if t["id"].startswith(PROXY_ID + "-")}
        self._users = {t["sha256"]: (t["scope"], t["id"]) for t in tokens if t["scope"]}
        self._workers = {t["sha256"]: t["id"] for t in tokens
                         if not t["scope"] and not t["id"].startswith(PROXY_ID + "-")}

    def proxy_allows(self, key: str | None, secret: str | None) -> bool:
        """Whether a request's Modal-Key and Modal-Secret are a proxy token's (not revoked)."""
        want = self._proxies.get(key or "")
        return want is not None and hmac.compare_digest(_sha(secret or ""), want)

    def check(self, authorization: str | bytes | None) -> tuple[str, str] | None:
        """(ADMIN, ""), (WORKER, token_id), (CONTAINER, container_id) or a user token's (scope,
        token_id) for a valid ``authorization`` header value, else None."""
        if not authorization:
            return None
        got = authorization.encode() if isinstance(authorization, str) else authorization
        if hmac.compare_digest(got, self._admin):
            return ADMIN, ""
        if got.startswith(b"Bearer " + USER_PREFIX.encode()):
            return self._users.get(_sha(got[len(b"Bearer "):].decode(errors="replace")))
        if got.startswith(b"Bearer " + TOKEN_PREFIX.encode()):
            token_id = self._workers.get(_sha(got[len(b"Bearer "):].decode(errors="replace")))
            if token_id is not None:
                return WORKER, token_id
        if got.startswith(b"Bearer " + CONTAINER_PREFIX.encode()):
            container_id, _, _ = got[len(b"Bearer ") + len(CONTAINER_PREFIX):].decode(errors="replace").partition("_")
            if hmac.compare_digest(got[len(b"Bearer "):], self.container_token(container_id).encode()):
                return CONTAINER, container_id
        return None

    def unknown(self, authorization: str | bytes | None) -> str:
        """Why ``authorization`` (which check refused) is refused, and the fix."""
        got = authorization.decode(errors="replace") if isinstance(authorization, bytes) else authorization or ""
        if got.startswith("Bearer ") and _sha(got[len("Bearer "):]) in self._revoked:
            return "this token was revoked (`leveret token revoke`): ask an admin of the server for a new one"
        return "missing or wrong token: set LEVERET_TOKEN to the server's token"

    def require(self, context, scope: str, what: str) -> None:
        """Raise Forbidden unless the caller's scope is ``scope`` or wider (the server's token, a
        worker's and a container's pass: their methods are checked at the door)."""
        found = self.caller(context)
        role = found[0] if found is not None else ""
        if role in SCOPE_METHODS and SCOPES.index(role) > SCOPES.index(scope):
            raise Forbidden(f"{_a(role)} token may not {what}: that needs {_a(scope)} token ({_HOW.format(scope)})")

    @contextlib.contextmanager
    def watch(self, token_id: str):
        """Around a call made with token ``token_id``: revoking it cancels the call (``revoke``)."""
        task = asyncio.current_task()
        tasks = self._open.setdefault(token_id, set())
        tasks.add(task)
        try:
            yield
        finally:
            tasks.discard(task)
            if not tasks:
                self._open.pop(token_id, None)

    def container_token(self, container_id: str) -> str:
        """The token the server gives container ``container_id`` (its calls are made with it)."""
        mac = hmac.new(self._container_key, container_id.encode(), hashlib.sha256).hexdigest()[:40]
        return f"{CONTAINER_PREFIX}{container_id}_{mac}"

    def login_code(self, context) -> str:
        """A code that logs a browser in as the token of this call, once, within LOGIN_CODE_S."""
        now = time.monotonic()
        self._login_codes = {c: v for c, v in self._login_codes.items() if v[1] > now}   # (expired ones go)
        header = next((v for k, v in context.invocation_metadata() or () if k == "authorization"), "")
        code = secrets.token_urlsafe(24)
        self._login_codes[code] = (header.removeprefix("Bearer "), now + LOGIN_CODE_S)
        return code

    def redeem(self, code: str) -> str:
        """The token a login code stands for ("" if unknown, used or expired)."""
        token, until = self._login_codes.pop(code, ("", 0.0))
        return token if until > time.monotonic() else ""

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

    async def create(self, name: str, *, proxy: bool = False, scope: str = "") -> tuple[str, str]:
        """A worker's token, with ``proxy`` a proxy token for web functions, with ``scope`` (SCOPES) a
        user's token: (its id, the token)."""
        if scope and scope not in SCOPES:
            raise Invalid(f"no scope {scope!r}: a token's scope is one of {', '.join(SCOPES)}")
        token_id = new_id(PROXY_ID if proxy else "ut" if scope else "wt")
        token = (PROXY_SECRET if proxy else USER_PREFIX if scope else TOKEN_PREFIX) + secrets.token_urlsafe(32)
        await self.writes.run(Store.add_worker_token, token_id, name, _sha(token), scope)
        if proxy:
            self._proxies[token_id] = _sha(token)
        elif scope:
            self._users[_sha(token)] = (scope, token_id)
        else:
            self._workers[_sha(token)] = token_id
        return token_id, token

    async def revoke(self, token_id: str) -> bool:
        """Refuse the token from now on (the gateway and the direct port check each request against
        these) and cancel the calls open with it."""
        if not await self.writes.run(Store.revoke_worker_token, token_id):
            return False
        self._revoked |= {sha for sha, tid in self._workers.items() if tid == token_id}
        self._revoked |= {sha for sha, (_, tid) in self._users.items() if tid == token_id}
        self._workers = {sha: tid for sha, tid in self._workers.items() if tid != token_id}
        self._users = {sha: found for sha, found in self._users.items() if found[1] != token_id}
        self._proxies.pop(token_id, None)
        for task in self._open.pop(token_id, ()):
            task.cancel(REVOKED)
        for hook in self.revoked_hooks:
            hook(token_id)
        return True


REVOKED = "its token was revoked"   # the cancellation's message: the call ends saying so (api/token_check.py)
