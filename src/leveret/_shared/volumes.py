"""What the SDK, workers and the server agree on about Volumes: paths inside a volume, and files cut
into content-addressed chunks (CHUNK_BYTES each, named by their SHA-256)."""

from __future__ import annotations

import hashlib
import posixpath
import re

CHUNK_BYTES = 8 * 1024 * 1024
MAX_FILE_BYTES = 1 << 40            # a file under 1 TiB (Modal's v2 limit)
MAX_FILES = 1_000_000               # files (and directories) one volume holds
MAX_PATH_BYTES = 4096
_HASH = re.compile(r"[0-9a-f]{64}")

FILE, DIRECTORY = 1, 2              # an entry's type, as on the wire


def check_hash(digest: str, error=ValueError) -> str:
    if not isinstance(digest, str) or not _HASH.fullmatch(digest):
        raise error(f"{digest!r} is not a chunk's SHA-256 (64 hex digits)")
    return digest


def volume_path(path: str, error=ValueError) -> str:
    """A path inside a volume, normalised: "a/b" for "/a/b", "a//b/", "./a/b"; "" is the root. ".."
    cannot leave the volume, and is refused."""
    if not isinstance(path, str):
        raise error(f"a path in a volume is a str, not {type(path).__name__}")
    if "\x00" in path:
        raise error(f"{path!r}: a path cannot hold a NUL byte")
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise error(f"{path!r}: '..' is not allowed in a path in a volume: give the path from its root")
    norm = "/".join(parts)
    if len(norm.encode()) > MAX_PATH_BYTES:
        raise error(f"a path in a volume is at most {MAX_PATH_BYTES} bytes, this one {len(norm.encode())}")
    return norm


def parent(path: str) -> str:
    return posixpath.dirname(path)


def read_chunks(f, n: int) -> list[tuple[str, bytes]]:
    """Up to ``n`` next chunks of an open binary file, each with its hash: [] at its end."""
    out = []
    for _ in range(n):
        data = f.read(CHUNK_BYTES)
        if not data:
            break
        out.append((hashlib.sha256(data).hexdigest(), data))
    return out
