"""`leveret token new`: a person logged in to the dashboard approves a token for a CLI that has none.

    CLI ─TokenFlowCreate(name)─▶ server: a flow (its id, a secret to wait with, a code to compare)
    CLI prints (and opens) <dashboard>/token-flow/<id>, showing the code
    browser, logged in ─POST /token-flow/<id> scope─▶ a user's token of that scope (or narrower than
                        the approver's own) is made for the flow
    CLI ─TokenFlowWait(id, secret)─▶ the token, once; the CLI keeps it in ~/.leveret.toml

The two RPCs need no token (the CLI has none yet): a flow only gives its token to the caller that
holds its wait secret, and only once a logged-in person approved it. Flows live in memory for
FLOW_S; a server restart forgets them (the CLI then says to run the command again).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import hmac
import secrets
import time

from .auth import SCOPES, Tokens
from .errors import Forbidden, Invalid, NotFound

FLOW_S = 600.0   # how long a flow waits for its approval


@dataclasses.dataclass
class Flow:
    flow_id: str
    name: str
    code: str              # shown by the CLI and on the page: the person checks they match
    secret_sha: str
    until: float
    done: asyncio.Future   # (token_id, token, scope) once approved


class TokenFlows:
    def __init__(self, tokens: Tokens):
        self.tokens = tokens
        self._flows: dict[str, Flow] = {}

    def create(self, name: str) -> tuple[Flow, str]:
        """A new flow for a token named ``name``, and the secret its CLI waits with."""
        if not name or len(name) > 100:
            raise Invalid("a token's name is 1 to 100 characters: who or what it is for (alice@laptop)")
        now = time.monotonic()
        self._flows = {k: f for k, f in self._flows.items() if f.until > now}
        secret = secrets.token_urlsafe(32)
        code = "-".join(secrets.token_hex(2).upper() for _ in range(2))
        flow = Flow(f"tf-{secrets.token_hex(8)}", name, code, _sha(secret), now + FLOW_S,
                    asyncio.get_running_loop().create_future())
        self._flows[flow.flow_id] = flow
        return flow, secret

    def get(self, flow_id: str) -> Flow:
        flow = self._flows.get(flow_id)
        if flow is None or flow.until < time.monotonic():
            raise NotFound(f"no token request {flow_id} waits here: it expired ({FLOW_S / 60:.0f} minutes), was"
                           " approved already, or the server restarted; run `leveret token new` again")
        return flow

    async def approve(self, flow_id: str, scope: str, approver_scope: str) -> str:
        """Make the flow's token, of ``scope`` — no wider than the approver's own; its id."""
        flow = self.get(flow_id)
        if scope not in SCOPES:
            raise Invalid(f"no scope {scope!r}: one of {', '.join(SCOPES)}")
        if SCOPES.index(scope) < SCOPES.index(approver_scope):
            raise Forbidden(f"you may approve tokens up to your own scope ({approver_scope}), not {scope}")
        if flow.done.done():
            raise Invalid(f"token request {flow_id} was approved already")
        token_id, token = await self.tokens.create(flow.name, scope=scope)
        flow.done.set_result((token_id, token, scope))
        return token_id

    async def wait(self, flow_id: str, secret: str, timeout: float) -> tuple[str, str, str] | None:
        """The flow's (token_id, token, scope) once approved; None after ``timeout`` seconds. The
        token is given once: the flow is gone after."""
        flow = self.get(flow_id)
        if not hmac.compare_digest(_sha(secret), flow.secret_sha):
            raise Forbidden("this is not the request's own wait secret")
        try:
            found = await asyncio.wait_for(asyncio.shield(flow.done), timeout)
        except asyncio.TimeoutError:
            return None
        self._flows.pop(flow_id, None)
        return found


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
