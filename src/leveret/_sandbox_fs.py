"""A sandbox's files from outside it: ``sandbox.filesystem`` (Modal's filesystem API), the older
``sandbox.open(path, mode)`` (Modal's FileIO) and ``ls`` / ``mkdir`` / ``rm``.

    sb.filesystem.write_text("hi\\n", "/tmp/a.txt"); sb.filesystem.read_text("/tmp/a.txt")
    sb.filesystem.copy_from_local("data.csv", "/srv/data.csv"); sb.filesystem.copy_to_local(...)
    sb.filesystem.list_files("/srv"); sb.filesystem.stat("/srv/data.csv")
    sb.filesystem.make_directory("/a/b"); sb.filesystem.remove("/a", recursive=True)
    for event in sb.filesystem.watch("/srv", recursive=True, timeout=60): ...
    with sb.open("/tmp/a.txt", "a") as f: f.write("more")

Each operation is a command run in the sandbox with the worker's static busybox (so it works in any
image, one without a shell included, sees the sandbox's volumes, and reaches nothing outside it):
contents go through the command's stdin and stdout, errors come back as the OSError its message
names (FileNotFoundError, IsADirectoryError, ...). ``watch`` is such a command too, one that lists
the tree every POLL_S seconds and prints the listing when it changed (busybox has no inotify
here); the changes between listings are its events: a path new, gone, or changed (mtime, ctime,
size), a path gone and another with its inode new a rename (Modify [from, to], as Modal says).
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import errno
import functools
import io
import time

from ._utils.synchronize import synchronize
from .exception import InvalidError

_ERRORS = (   # what busybox says -> the OSError a Python user expects
    ("No such file or directory", FileNotFoundError, errno.ENOENT),
    ("Is a directory", IsADirectoryError, errno.EISDIR),
    ("Not a directory", NotADirectoryError, errno.ENOTDIR),
    ("Permission denied", PermissionError, errno.EACCES),
    ("Read-only file system", PermissionError, errno.EROFS),
    ("File exists", FileExistsError, errno.EEXIST),
    ("Directory not empty", OSError, errno.ENOTEMPTY),
    ("No space left on device", OSError, errno.ENOSPC),
)
_TYPES = {"regular file": "file", "regular empty file": "file", "directory": "directory",
          "symbolic link": "symlink"}


def _path(path, what: str) -> str:
    if hasattr(path, "__fspath__"):
        path = path.__fspath__()
    if not isinstance(path, str) or not path.startswith("/"):
        raise InvalidError(f"{what} takes an absolute path in the sandbox, e.g. \"/tmp/data.txt\", not {path!r}")
    return path


def _error(stderr: str, path: str) -> OSError:
    for text, kind, code in _ERRORS:
        if text in stderr:
            return kind(code, text, path)
    return OSError(errno.EIO, stderr.strip() or "the sandbox could not do it", path)


class FileEntry:
    """What ``list_files`` and ``stat`` give of a path: ``path``, ``type`` ("file", "directory",
    "symlink" or "other"), ``size`` in bytes, ``mtime`` (seconds since the epoch), ``mode`` (its
    permission bits)."""

    __slots__ = ("path", "type", "size", "mtime", "mode")

    def __init__(self, path: str, type: str, size: int, mtime: float, mode: int):   # noqa: A002 - Modal's field
        self.path, self.type, self.size, self.mtime, self.mode = path, type, size, mtime, mode

    def __repr__(self) -> str:
        return f"FileEntry(path={self.path!r}, type={self.type!r}, size={self.size}, mode={oct(self.mode)})"

    def __eq__(self, other) -> bool:
        return isinstance(other, FileEntry) and all(getattr(self, k) == getattr(other, k) for k in self.__slots__)


_STAT_FORMAT = "%F|%s|%Y|%a|%n"


def _entry(line: str) -> FileEntry:
    kind, size, mtime, mode, path = line.split("|", 4)
    return FileEntry(path, _TYPES.get(kind, "other"), int(size), float(mtime), int(mode, 8))


class FileWatchEventType(enum.Enum):
    Unknown = "Unknown"
    Access = "Access"
    Create = "Create"
    Modify = "Modify"
    Remove = "Remove"


@dataclasses.dataclass
class FileWatchEvent:
    """A change ``watch`` saw: the path(s) it touched (a rename: [from, to]) and its type."""

    paths: list
    type: FileWatchEventType


POLL_S = 0.2
# $1 the path, $2 "-maxdepth 1" or nothing (recursive), $3 seconds between listings
_WATCH = ('[ -e "$1" ] || { echo "No such file or directory" >&2; exit 1; }; old=;'
          ' while :; do new=$(find "$1" $2 -exec stat -c "%i|%y|%z|%s|%F|%n" {} + 2>/dev/null);'
          ' if [ "$new" != "$old" ]; then printf "%s\\n--\\n" "$new"; old=$new; fi; sleep "$3"; done')


def _listing(lines: list[str]) -> dict:
    found = {}
    for line in lines:
        parts = line.split("|", 5)
        if len(parts) == 6:
            inode, mtime, ctime, size, kind, path = parts
            found[path] = (inode, mtime, ctime, size, kind)
    return found


def _changes(old: dict, new: dict, root: str) -> list[FileWatchEvent]:
    created = [p for p in new if p not in old]
    removed = {old[p][0]: p for p in old if p not in new}
    events = []
    for path in created:
        source = removed.pop(new[path][0], None)   # the same inode under another name: renamed
        events.append(FileWatchEvent([source, path], FileWatchEventType.Modify) if source is not None
                      else FileWatchEvent([path], FileWatchEventType.Create))
    events += [FileWatchEvent([path], FileWatchEventType.Remove) for path in removed.values()]
    events += [FileWatchEvent([path], FileWatchEventType.Modify) for path, seen in new.items()
               if path in old and old[path] != seen and seen[4] != "directory" and path != root]
    return events


class SandboxFilesystem:
    """``sandbox.filesystem``."""

    def __init__(self, sandbox):
        self._sandbox = sandbox

    def __repr__(self) -> str:
        return f"<filesystem of {self._sandbox!r}>"

    async def _run(self, path: str, *argv: str, stdin: bytes | None = None) -> bytes:
        """Run a busybox applet in the sandbox; its stdout, or the OSError its stderr names."""
        p = await self._sandbox._exec_tool(list(argv))
        if stdin is not None:   # (a command that reads none may be gone before its stdin could end)
            p.stdin.write(stdin)
            p.stdin.write_eof()
            await p.stdin.drain.aio()
        out = await p.stdout.read.aio()
        err = await p.stderr.read.aio()
        if await p.wait.aio() != 0:
            raise _error(err.decode(errors="replace"), path)
        return out

    @synchronize
    async def read_bytes(self, remote_path: str) -> bytes:
        path = _path(remote_path, "read_bytes")
        return await self._run(path, "cat", "--", path)

    @synchronize
    async def read_text(self, remote_path: str, encoding: str = "utf-8") -> str:
        return (await self.read_bytes.aio(remote_path)).decode(encoding)

    @synchronize
    async def write_bytes(self, data: bytes, remote_path: str) -> None:
        """Write ``data`` to the file (made, or replaced), its directory made first if need be."""
        path = _path(remote_path, "write_bytes")
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise InvalidError(f"write_bytes takes bytes, not {type(data).__name__}: write_text for a str")
        await self._run(path, "sh", "-c", 'mkdir -p -- "$(dirname -- "$1")" && cat > "$1"', "sh", path,
                        stdin=bytes(data))

    @synchronize
    async def write_text(self, contents: str, remote_path: str, encoding: str = "utf-8") -> None:
        if not isinstance(contents, str):
            raise InvalidError(f"write_text takes a str, not {type(contents).__name__}: write_bytes for bytes")
        await self.write_bytes.aio(contents.encode(encoding), remote_path)

    @synchronize
    async def copy_from_local(self, local_path, remote_path: str) -> None:
        """A local file's bytes into the sandbox at ``remote_path``."""
        with open(local_path, "rb") as f:
            data = f.read()
        await self.write_bytes.aio(data, remote_path)

    @synchronize
    async def copy_to_local(self, remote_path: str, local_path) -> None:
        """A sandbox file's bytes into a local file (made, or replaced)."""
        data = await self.read_bytes.aio(remote_path)
        with open(local_path, "wb") as f:
            f.write(data)

    @synchronize
    async def stat(self, remote_path: str) -> FileEntry:
        path = _path(remote_path, "stat")
        out = await self._run(path, "stat", "-c", _STAT_FORMAT, "--", path)
        return _entry(out.decode(errors="replace").rstrip("\n"))

    @synchronize
    async def list_files(self, remote_path: str) -> list[FileEntry]:
        """The entries of a directory (not recursive), by name."""
        path = _path(remote_path, "list_files")
        out = await self._run(path, "sh", "-c", 'cd -- "$1" && for f in * .*; do'
                              ' case "$f" in .|..) continue;; esac;'
                              ' [ -e "$f" ] || [ -L "$f" ] || continue;'
                              f' stat -c "{_STAT_FORMAT}" -- "$1/$f" || exit 1; done', "sh", path.rstrip("/") or "/")
        entries = [_entry(line) for line in out.decode(errors="replace").splitlines() if line]
        for e in entries:
            e.path = e.path.replace("//", "/")
        return sorted(entries, key=lambda e: e.path)

    @synchronize
    async def make_directory(self, remote_path: str, create_parents: bool = True) -> None:
        path = _path(remote_path, "make_directory")
        await self._run(path, "mkdir", *(["-p"] if create_parents else []), "--", path)

    @synchronize
    async def remove(self, remote_path: str, recursive: bool = False) -> None:
        """Remove a file, or a directory (an empty one, unless ``recursive``)."""
        path = _path(remote_path, "remove")
        await self._run(path, "sh", "-c", '[ -e "$1" ] || [ -L "$1" ] || { echo "No such file or directory" >&2; exit 1; };'
                        ' if [ -d "$1" ] && [ ! -L "$1" ]; then if [ "$2" = 1 ]; then rm -rf -- "$1"; else rmdir -- "$1"; fi;'
                        ' else rm -- "$1"; fi', "sh", path, "1" if recursive else "0")

    async def _watch(self, remote_path: str, filter: list | None = None, recursive: bool = False,  # noqa: A002
                     timeout: float | None = None):
        """The changes under a path as they come (``filter``: only these FileWatchEventTypes;
        ``recursive``: its subdirectories' too), until ``timeout`` seconds (None: until the loop
        stops); changes are seen every POLL_S seconds."""
        path = _path(remote_path, "watch")
        wanted = set(filter) if filter is not None else None
        if wanted is not None and not all(isinstance(k, FileWatchEventType) for k in wanted):
            raise InvalidError("watch(filter=...) takes FileWatchEventTypes, e.g. [FileWatchEventType.Create]")
        deadline = None if timeout is None else time.monotonic() + timeout
        p = await self._sandbox._exec_tool(["sh", "-c", _WATCH, "sh", path, "" if recursive else "-maxdepth 1",
                                            str(POLL_S)])
        chunks = p.stdout.__aiter__()
        old, block, buf = None, [], b""
        try:
            while True:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return
                try:
                    chunk = await asyncio.wait_for(chunks.__anext__(), left)
                except (asyncio.TimeoutError, StopAsyncIteration) as exc:
                    if isinstance(exc, asyncio.TimeoutError):
                        return
                    err = await p.stderr.read.aio()
                    raise _error(err.decode(errors="replace"), path) from None
                *lines, buf = (buf + chunk).split(b"\n")
                for line in lines:
                    if line != b"--":
                        block.append(line.decode(errors="replace"))
                        continue
                    listing, block = _listing(block), []
                    if old is not None:
                        for event in _changes(old, listing, path):
                            if wanted is None or event.type in wanted:
                                yield event
                    old = listing
        finally:   # (the loop stopped: its command goes)
            asyncio.ensure_future(_kill_quietly(p))

    watch = synchronize(_watch)

    async def _exists(self, path: str) -> bool:
        try:
            await self._run(path, "stat", "-c", "%n", "--", path)
        except FileNotFoundError:
            return False
        return True


async def _kill_quietly(p) -> None:
    try:
        await p.kill.aio()
    except Exception:   # it ended already, or the sandbox did
        pass


class _Aio:
    """A FileIO method: called, it runs; its ``.aio`` form is the same awaited (Modal's FileIO has
    both). ``aio``: the coroutine function of one that waits on the sandbox (flush, close)."""

    def __init__(self, f, aio=None):
        self.f, self.aio = f, aio

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        bound = functools.partial(self.f, obj)

        async def aio(*args, **kwargs):
            return await self.aio(obj, *args, **kwargs) if self.aio is not None else self.f(obj, *args, **kwargs)

        bound.aio = aio
        return bound


class FileIO:
    """``sandbox.open(path, mode)``: a file of the sandbox as Python's io.FileIO has one (read,
    readline, readlines, write, seek, tell, flush, close, each with its ``.aio`` form; a context
    manager, sync or async). Its contents are read at open (modes r, r+, a, a+) and written back
    at flush and close (modes w, a, r+, ...)."""

    def __init__(self, fs: SandboxFilesystem, path: str, mode: str, data: bytes):
        self._fs, self._path, self._mode = fs, path, mode
        self._binary = "b" in mode
        self._buf = io.BytesIO(data)
        self._dirty = "w" in mode   # a new (or emptied) file is written back even if nothing is written
        self.closed = False
        if "a" in mode:
            self._buf.seek(0, io.SEEK_END)

    @classmethod
    async def _open(cls, fs: SandboxFilesystem, path: str, mode: str) -> "FileIO":
        path = _path(path, "open")
        if mode.replace("b", "") not in ("r", "w", "a", "x", "r+", "w+", "a+", "x+"):
            raise InvalidError(f"open() mode {mode!r}: one of r, w, a, x (and + or b), as Python's open()")
        kind = mode.replace("b", "").replace("+", "")
        if kind == "x" and await fs._exists(path):
            raise FileExistsError(errno.EEXIST, "File exists", path)
        data = b""
        if kind in ("r", "a"):
            try:
                data = await fs.read_bytes.aio(path)
            except FileNotFoundError:
                if kind == "r":
                    raise
        f = cls(fs, path, mode, data)
        f._dirty = kind in ("w", "x")
        return f

    def _check(self, writing: bool = False) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed file")
        kind = self._mode.replace("b", "")
        if writing and kind == "r":
            raise io.UnsupportedOperation("not writable: open it with mode 'w', 'a' or 'r+'")
        if not writing and kind in ("w", "a", "x"):
            raise io.UnsupportedOperation("not readable: open it with mode 'r' or one with '+'")

    def _out(self, data: bytes):
        return data if self._binary else data.decode()

    def read(self, n: int | None = None):
        self._check()
        return self._out(self._buf.read(-1 if n is None else n))

    def readline(self):
        self._check()
        return self._out(self._buf.readline())

    def readlines(self) -> list:
        self._check()
        return [self._out(line) for line in self._buf.readlines()]

    def write(self, data) -> int:
        self._check(writing=True)
        if isinstance(data, str):
            if self._binary:
                raise TypeError("a binary file takes bytes, not str")
            data = data.encode()
        if "a" in self._mode:
            self._buf.seek(0, io.SEEK_END)
        self._dirty = True
        return self._buf.write(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        self._check(writing="r" not in self._mode and "+" not in self._mode)
        return self._buf.seek(offset, whence)

    def tell(self) -> int:
        return self._buf.tell()

    def flush(self) -> None:
        if self._dirty and not self.closed:
            self._fs.write_bytes(self._buf.getvalue(), self._path)
            self._dirty = False

    async def _flush(self) -> None:
        if self._dirty and not self.closed:
            await self._fs.write_bytes.aio(self._buf.getvalue(), self._path)
            self._dirty = False

    def close(self) -> None:
        if not self.closed:
            self.flush()
            self.closed = True

    async def _close(self) -> None:
        if not self.closed:
            await self._flush()
            self.closed = True

    read, readline, readlines, write, seek, tell = (_Aio(f) for f in (read, readline, readlines, write, seek, tell))
    flush, close = _Aio(flush, _flush), _Aio(close, _close)

    def __enter__(self) -> "FileIO":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    async def __aenter__(self) -> "FileIO":
        return self

    async def __aexit__(self, *exc) -> None:
        await self._close()

    def __iter__(self):
        return iter(self.readline, self._out(b""))
