"""ObjectGetOrCreate, ObjectList, ObjectDelete: named objects of every kind (server/objects/)."""

from __future__ import annotations

import json

from ..._wire import api_pb2 as pb
from ..auth import RUN
from ..errors import Invalid
from ..objects import FAIL_IF_EXISTS, IF_MISSING, LOOKUP
from ..store.objects import ObjectRow
from . import refusals_as_status

CREATION = {pb.OBJECT_CREATION_UNSPECIFIED: LOOKUP, pb.OBJECT_CREATION_IF_MISSING: IF_MISSING,
            pb.OBJECT_CREATION_FAIL_IF_EXISTS: FAIL_IF_EXISTS}


def named_object(row: ObjectRow) -> pb.NamedObject:
    return pb.NamedObject(object_id=row.id, kind=row.kind, name=row.name, environment_name=row.environment,
                          created_at=row.created_at, attributes_json=json.dumps(row.attributes))


def _attributes(text: str) -> dict:
    try:
        attributes = json.loads(text) if text else {}
    except ValueError:
        attributes = None
    if not isinstance(attributes, dict):
        raise Invalid(f"attributes_json must be a JSON object, not {text[:100]!r}")
    return attributes


class ObjectsApi:
    """Mixed into the servicer: needs ``self.d`` (the Dispatcher, whose ``objects`` they are)."""

    async def ObjectGetOrCreate(self, request, context):
        async with refusals_as_status(context):
            creation = CREATION.get(request.creation, LOOKUP)
            if creation != LOOKUP:
                self.tokens.require(context, RUN, f"create a {request.kind or 'named object'}")
            store = self.d.reads if creation == LOOKUP else self.d.writes   # a lookup writes nothing
            row, created = await store.run(
                self.d.objects.get_or_create, request.kind, request.name, request.environment_name,
                creation=creation, object_id=request.object_id, attributes=_attributes(request.attributes_json))
            return pb.ObjectGetOrCreateResponse(object=named_object(row), created=created)

    async def ObjectList(self, request, context):
        async with refusals_as_status(context):
            before = (request.created_before, request.before_object_id) if request.created_before else None
            rows = await self.d.reads.run(self.d.objects.list, request.kind, request.environment_name,
                                          limit=request.max_objects, before=before)
            return pb.ObjectListResponse(objects=[named_object(r) for r in rows])

    async def ObjectDelete(self, request, context):
        async with refusals_as_status(context):
            row = await self.d.writes.run(self.d.objects.delete, request.object_id, again=request.again)
            if row is not None and row.kind == "queue":
                self.d.queue_waiters.forget(row.id)   # its waiters learn it is gone
            return pb.ObjectDeleteResponse(deleted=row is not None)
