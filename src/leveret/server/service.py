"""The gRPC servicer: the handlers of api/ (one module per noun) composed into one class. Each
handler converts between the wire and the server's own types; the logic is elsewhere."""

from __future__ import annotations

from .._wire import api_pb2_grpc
from .api.apps import AppsApi
from .api.blobs import BlobsApi
from .api.calls import CallsApi
from .api.containers import ContainersApi
from .api.dicts import DictsApi
from .api.functions import FunctionsApi
from .api.history import HistoryApi
from .api.logs import LogsApi
from .api.mounts import MountsApi
from .api.objects import ObjectsApi
from .api.queues import QueuesApi
from .api.sandboxes import SandboxesApi
from .api.secrets import SecretsApi
from .api.tunnels import TunnelsApi
from .api.volumes import VolumesApi
from .api.workers import WorkersApi
from .auth import Tokens
from .dispatch import Dispatcher
from .logs import LogHub
from .retention import DEFAULT_CALL_RETENTION_S, gone


class LeveretService(AppsApi, BlobsApi, CallsApi, ContainersApi, DictsApi, FunctionsApi, HistoryApi, LogsApi, MountsApi,
                     ObjectsApi, QueuesApi, SandboxesApi, SecretsApi, TunnelsApi, VolumesApi, WorkersApi,
                     api_pb2_grpc.LeveretServicer):
    def __init__(self, dispatcher: Dispatcher, logs: LogHub, tokens: Tokens, *,
                 call_retention_s: float = DEFAULT_CALL_RETENTION_S):
        self.d = dispatcher
        self.call_retention_s = call_retention_s
        self.reads = dispatcher.reads     # the store's reader (reads.py)
        self.writes = dispatcher.writes   # and its writer (writes.py)
        self.logs = logs
        self.tokens = tokens
        self.http_url = ""   # where its HTTP side (dashboard, metrics) listens, once bound
        self.routes = dispatcher.routes   # web functions' URLs (routes.py)

    def pruned_call(self, call_id: str) -> str:
        """Why a call is not in the store (CallsApi asks)."""
        return gone(call_id, self.call_retention_s)
