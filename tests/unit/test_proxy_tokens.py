"""Proxy tokens (server/auth.py): kept beside the workers' tokens, told apart by their ids, checked
by their secret's hash, loaded again by a restarted server, refused once revoked."""

import asyncio

from leveret.server.auth import WORKER, Tokens
from _server import dispatcher


def test_a_proxy_token_opens_web_functions_only_and_outlives_a_restart_until_revoked():
    async def main():
        d = dispatcher()
        tokens = Tokens("admin-token", d.writes)
        await tokens.load()
        key, secret = await tokens.create("a client", proxy=True)
        worker_id, worker_token = await tokens.create("a host")
        assert tokens.proxy_allows(key, secret) and not tokens.proxy_allows(key, secret[:-1])
        assert not tokens.proxy_allows(worker_id, worker_token) and not tokens.proxy_allows(None, None)
        assert tokens.check(f"Bearer {secret}") is None   # no door into the API
        again = Tokens("admin-token", d.writes)   # a server restarted on the same store
        await again.load()
        assert again.proxy_allows(key, secret) and again.check(f"Bearer {worker_token}") == (WORKER, worker_id)
        assert await again.revoke(key) and not again.proxy_allows(key, secret)
        last = Tokens("admin-token", d.writes)
        await last.load()
        assert not last.proxy_allows(key, secret)
        await d.close_store()

    asyncio.run(main())
