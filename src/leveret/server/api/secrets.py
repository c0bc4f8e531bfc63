"""SecretCreate, SecretRotateKey (server/secrets.py). Listing and deleting a secret are those of any
named object (ObjectList, ObjectDelete); nothing here, or anywhere, sends a value back."""

from __future__ import annotations

from ..._wire import api_pb2 as pb
from ..auth import DEPLOY
from ..errors import Invalid
from . import refusals_as_status


class SecretsApi:
    """Mixed into the servicer: needs ``self.d`` (the Dispatcher, whose ``secrets`` they are)."""

    async def SecretCreate(self, request, context):
        async with refusals_as_status(context):
            if request.overwrite and not request.name:
                raise Invalid("overwrite is for a named secret: give its name")
            if request.name:
                self.tokens.require(context, DEPLOY, "create or overwrite a named secret")
            secret_id, keys = await self.d.writes.run(self.d.secrets.create, request.name,
                                                      request.environment_name, dict(request.env),
                                                      request.overwrite)
            return pb.SecretCreateResponse(secret_id=secret_id, keys=keys)

    async def SecretRotateKey(self, request, context):
        async with refusals_as_status(context):
            count, keyring = await self.d.writes.run(self.d.secrets.reseal)
            self.d.secrets.finish(keyring)   # committed: the new key takes the old one's place
            return pb.SecretRotateKeyResponse(secrets=count, key_id=keyring.current_id)
