"""The dashboard's own pages that are not the app: the login form and `leveret token new`'s approval.

    GET  /login[?code=C][&next=P]   a login link's code (DashboardLink) logs in at once; else a form
    POST /login                     the form: a token pasted (any user's scope, or the server's)
    GET  /token-flow/{id}           a token request of `leveret token new`: its name, its code, a scope
    POST /token-flow/{id}           approve it with that scope (up to the approver's own)

Server-rendered HTML, escaped; the cookie is HttpOnly and SameSite=Strict, so another site's form
cannot approve a request in your name.
"""

from __future__ import annotations

import html

from aiohttp import web

from ..auth import ADMIN, SCOPES, Tokens
from ..errors import Forbidden, Invalid, NotFound

COOKIE = "leveret_token"


def page(title: str, body: str, status: int = 200) -> web.Response:
    return web.Response(status=status, content_type="text/html", text=(
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)} · Leveret</title>'
        '<link rel="stylesheet" href="/static/style.css"></head><body class="narrow">'
        f'<header><h1><a href="/">Leveret</a></h1></header><section>{body}</section></body></html>'))


def _next(value: str) -> str:
    """Where to go after logging in: a path of this site only."""
    return value if value.startswith("/") and not value.startswith("//") else "/"


def _logged_in(token: str, where: str) -> web.HTTPFound:
    response = web.HTTPFound(where)
    response.set_cookie(COOKIE, token, httponly=True, samesite="Strict")
    return response


class LoginPages:
    def __init__(self, tokens: Tokens):
        self.tokens = tokens

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/login", self.login_page)
        app.router.add_post("/login", self.login_form)
        app.router.add_get("/token-flow/{flow_id}", self.flow_page)
        app.router.add_post("/token-flow/{flow_id}", self.flow_approve)

    def _scope(self, token: str) -> str:
        """A token's scope on the dashboard (the server's token: admin); "" if it is none."""
        found = self.tokens.check(f"Bearer {token}") if token else None
        return found[0] if found is not None and found[0] in SCOPES else ""

    async def login_page(self, request: web.Request) -> web.StreamResponse:
        where = _next(request.query.get("next", "/"))
        code = request.query.get("code", "")
        if code:
            token = self.tokens.redeem(code)
            if token and self._scope(token):
                raise _logged_in(token, where)
            return self._form(where, "That login link was used already or is over a minute old: run `leveret"
                                     " dashboard` again, or paste a token.", 401)
        return self._form(where)

    async def login_form(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        token, where = str(form.get("token", "")).strip(), _next(str(form.get("next", "/")))
        if self._scope(token):
            raise _logged_in(token, where)
        return self._form(where, "That token is not one of this server's (or it was revoked).", 401)

    def _form(self, where: str, error: str = "", status: int = 200) -> web.Response:
        shown = f'<p class="error">{html.escape(error)}</p>' if error else ""
        return page("Log in", f"""<h2>Log in</h2>{shown}
<p>Paste your token (<code>leveret token create NAME --scope read-only</code> makes one), or run
<code>leveret dashboard</code>, whose link logs you in.</p>
<form method="post" action="/login"><input type="hidden" name="next" value="{html.escape(where)}">
<label>Token <input type="password" name="token" id="token" size="50" autofocus></label>
<button type="submit">Log in</button></form>""", status)

    async def flow_page(self, request: web.Request) -> web.Response:
        scope = self._scope(request.cookies.get(COOKIE, "")) or ADMIN   # (a header's token: the middleware checked it)
        try:
            flow = self.tokens.flows.get(request.match_info["flow_id"])
        except NotFound as exc:
            return page("Token request", f'<p class="error">{html.escape(exc.message)}</p>', 404)
        choices = "".join(f'<option value="{s}"{" selected" if s == "run" else ""}>{s}</option>'
                          for s in SCOPES[SCOPES.index(scope):])
        return page("Approve a token", f"""<h2>Approve a token</h2>
<p><code>leveret token new</code> asks for a token for <b id="flow-name">{html.escape(flow.name)}</b>.
Approve it only if the command you ran shows the code <b id="flow-code">{flow.code}</b>.</p>
<form method="post"><label>Scope <select name="scope" id="scope">{choices}</select></label>
<button type="submit" id="approve">Approve</button></form>""")

    async def flow_approve(self, request: web.Request) -> web.Response:
        scope = self._scope(request.cookies.get(COOKIE, "")) or ADMIN
        form = await request.post()
        try:
            token_id = await self.tokens.flows.approve(request.match_info["flow_id"], str(form.get("scope", "")), scope)
        except (NotFound, Invalid, Forbidden) as exc:
            return page("Token request", f'<p class="error">{html.escape(exc.message)}</p>', 400)
        return page("Token approved", f'<h2>Approved</h2><p id="approved">Token {token_id} is made: the command that'
                                      " asked for it has it now. You may close this page.</p>")
