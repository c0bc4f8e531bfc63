"""The protocol between a worker and the bootstrap of each of its containers, over a unix socket:
the names both sides use, from the modules that hold them.

- fields.py — how each field is written and read; ProtocolError
- messages.py — the messages, a class a kind; the version, statuses and payload limits
- frames.py — a message with its header: encode, decode, read from a stream or a socket
- marker.py — the running marker beside the socket
- environment.py — what the worker sets in the bootstrap's environment
- calls.py — the messages of a calls connection (what a function calls from inside its container)

Standard library only, and no pickle of frames: what a container sends is data the worker reads
with struct, never code it runs; the user's arguments and results travel inside as opaque bytes.
The worker imports it as ``leveret.container.protocol``, the bootstrap from the package it makes of
this directory. README.md beside it has the frame layout and every kind.
"""

from __future__ import annotations

from .calls import (FROM_CALLER, TO_CALLER, Bind, Call, CallCancel, CallGet, CallGraph, CallsOpen, Chunk, DirectOpen, Download,
                    Lookup, MapInputs, MapOutputs, MapStart, ObjectCall, Reply, Result, Upload, VolumeSync)
from .environment import ENV_CONTAINER_ID, ENV_FUNCTION, ENV_REJOIN, ENV_SOCKET, format_spec, parse_spec
from .fields import ProtocolError, VersionMismatch
from .frames import HEADER, MAX_FRAME, decode, decode_frame, encode, read_message, recv_message, split_header
from .marker import MARKER_SIZE, RUNNING_FILE, RunningMarker, read_running
from .messages import (CHUNK_BYTES, FROM_CONTAINER, INLINE_LIMIT, KINDS, MAX_PAYLOAD, STATUS_CANCELLED, STATUS_FAILURE,
                       STATUS_GENERATOR_DONE, STATUS_GENERATOR_ITEM, STATUS_INTERNAL_FAILURE, STATUS_SUCCESS,
                       TRACEBACK_LIMIT, TRACEBACK_MARK, TO_CONTAINER, VERSION, Blob, BlobAbort, Body, Cancel, ExecData, ExecExit, ExecStart, Hello,
                       Inputs, Lifecycle, Load, Log, Message, Outputs, Rejoin, Stop, Warm)

__all__ = [
    "FROM_CALLER", "TO_CALLER", "Bind", "Call", "CallCancel", "CallGet", "CallGraph", "CallsOpen", "Chunk", "DirectOpen", "Download", "Lookup",
    "MapInputs", "MapOutputs", "MapStart", "ObjectCall", "Reply", "Result", "Upload", "VolumeSync",
    "CHUNK_BYTES", "ENV_CONTAINER_ID", "ENV_FUNCTION", "ENV_REJOIN", "ENV_SOCKET", "FROM_CONTAINER", "HEADER", "INLINE_LIMIT",
    "KINDS", "MARKER_SIZE", "MAX_FRAME", "MAX_PAYLOAD", "RUNNING_FILE", "STATUS_CANCELLED", "STATUS_FAILURE", "STATUS_GENERATOR_DONE",
    "STATUS_GENERATOR_ITEM", "STATUS_INTERNAL_FAILURE", "STATUS_SUCCESS", "TO_CONTAINER", "TRACEBACK_LIMIT",
    "TRACEBACK_MARK", "VERSION",
    "Blob", "BlobAbort", "Body", "Cancel", "ExecData", "ExecExit", "ExecStart", "Hello", "Inputs", "Lifecycle", "Load",
    "Log", "Message", "Outputs", "ProtocolError", "Rejoin", "RunningMarker", "Stop", "VersionMismatch", "Warm",
    "decode", "decode_frame", "encode", "format_spec", "parse_spec", "read_message", "read_running", "recv_message",
    "split_header",
]
