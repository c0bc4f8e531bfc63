"""``leveret deploy`` / ``app.deploy()``: publish an App as the next version of a named deployment.

    AppCreate(deploy) ─▶ version N+1, not live yet ─▶ FunctionCreate per function (code uploaded
    as mounts) ─▶ AppPublish: live; version N drains (its calls finish, then it stops)

Unlike ``app.run()``, nothing stays attached: no heartbeat, no log stream. The app runs until
``leveret app stop NAME`` or a later deploy replaces it.
"""

from __future__ import annotations

import sys

from ._client import Client
from ._runner import _default_name, function_definition
from ._shared.aio import run_sync


class Deployed:
    """What a deploy made: ``app_id``, ``name``, ``version``, ``replaced_app_id``, ``functions``,
    ``web_urls`` (a web function's name -> its URL)."""

    def __init__(self, app_id: str, name: str, version: int, replaced_app_id: str, functions: list[str],
                 web_urls: dict[str, str] | None = None):
        self.web_urls = web_urls or {}
        self.app_id = app_id
        self.name = name
        self.version = version
        self.replaced_app_id = replaced_app_id
        self.functions = functions

    def __repr__(self) -> str:
        return f"<Deployed {self.name} version {self.version} ({self.app_id})>"


async def deploy_app(app, name: str | None = None, description: str | None = None,
                     environment: str | None = None) -> Deployed:
    from . import config
    from ._wire import api_pb2 as pb

    client = await Client.get()
    name = name or app.name or _default_name()
    created = await client.call("AppCreate", pb.AppCreateRequest(
        name=name, description=description or " ".join(sys.argv), deploy=True,
        environment=environment or config.environment()))
    try:
        web_urls = {}   # (the app's Function objects stay as they are: a deploy does not hydrate them)
        for fn in app.registered_functions.values():
            definition = await function_definition(client, fn)
            made = await client.call("FunctionCreate", pb.FunctionCreateRequest(app_id=created.app_id, definition=definition))
            if made.web_url:
                web_urls[fn._name] = made.web_url
            web_urls.update({f"{fn._name}.{m}": url for m, url in made.web_urls.items()})
        published = await client.call("AppPublish", pb.AppPublishRequest(app_id=created.app_id))
    except BaseException:   # the half-made version never goes live; the live one stays as it was
        await client.call("AppStop", pb.AppStopRequest(app_id=created.app_id, reason="its deploy failed"))
        raise
    return Deployed(created.app_id, name, published.version, published.replaced_app_id, list(app.registered_functions),
                    web_urls)


def deploy(app, name: str | None = None, environment: str | None = None) -> Deployed:
    return run_sync(deploy_app(app, name, environment=environment))
