"""The limits on a call's payloads (its pickled arguments or result), shared by the SDK, the server and
the worker (the container's protocol keeps its own copy, as it imports nothing of leveret).

Arguments and results up to ``INLINE_LIMIT`` go inside the messages; larger ones travel as blobs
(``_wire/blobs.py``) in chunks of ``CHUNK_BYTES``; one over ``MAX_PAYLOAD`` is refused with an error
that names the limit and the fix.
"""

from __future__ import annotations

INLINE_LIMIT = 2 * 1024 * 1024          # Modal's: larger arguments and results go as blobs
MAX_PAYLOAD = 4 * 1024 * 1024 * 1024    # the largest argument or result a call may carry
CHUNK_BYTES = 1024 * 1024               # a blob's chunk on the wire and on a container's socket


def size_text(n: int) -> str:
    return f"{n / 2**30:.3g} GiB" if n >= 2**30 else f"{n / 2**20:.3g} MiB"


def too_large(what: str, size: int, limit: int = MAX_PAYLOAD) -> str:
    """The error for a payload over the limit: what it was, the limit, and the fix."""
    return (f"{what} is {size_text(size)} pickled, over the {size_text(limit)} limit on a call's payload:"
            " pass large data through a file or storage the function reads (a path or URL as the argument),"
            " not as the value itself")
