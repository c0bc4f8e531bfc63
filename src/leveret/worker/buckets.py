"""Cloud buckets in containers (``CloudBucketMount``): each an S3-compatible bucket that s3fs mounts
through FUSE on the worker's host, bind-mounted at its path in the container.

    a container of a function with bucket mounts starts ─▶ prepare: for each, <workdir>/buckets/<container>/<n>
        and `s3fs BUCKET[:/PREFIX] DIR -f -o url=… …` (the credentials in s3fs's environment only, never
        in its argv, a file or a log) ─▶ mounted once the mount answers (s3fs checks the bucket before it
        does); s3fs ending first, or no answer within MOUNT_TIMEOUT_S, fails the start with s3fs's
        words ─▶ Mount(dir, path)
    the container ends (after the runtime removed it) ─▶ release: each mount detached, s3fs told to end
        (SIGTERM; killed if it does not), the directories removed (rmdir only: never anything under a
        live mount)
    the worker starts ─▶ remove_leftovers: mounts an earlier worker left under <workdir>/buckets detached

s3fs runs in a session of its own and gets SIGTERM if the worker dies (PR_SET_PDEATHSIG), so a killed
worker's buckets unmount themselves.
"""

from __future__ import annotations

import asyncio
import collections
import ctypes
import logging
import os
import re
import shutil
import signal
import time
from dataclasses import dataclass, field

from .runtime import Mount
from .runtime.spawn import Process, spawn

log = logging.getLogger("leveret.worker")

MOUNT_TIMEOUT_S = 60.0   # from s3fs's start to its mount answering (it checks the bucket first)
STOP_S = 5.0             # for s3fs to end once told to; then it is killed
POLL_S = 0.02
AWS_URL = "https://s3.amazonaws.com"
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# (id, secret) pairs a bucket's secret may hold: AWS's names, or Google's for its HMAC keys (as Modal's)
CREDENTIAL_KEYS = (("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"), ("GOOGLE_ACCESS_KEY_ID", "GOOGLE_ACCESS_KEY_SECRET"))
_NAME = re.compile(r"[A-Za-z0-9._-]+")
_REGION = re.compile(r"[a-z0-9-]+")
_LOG_LINE = re.compile(r"^\S+ \[(INF|DBG|WAN|ERR|CRT)\] (?:[\w.]+:\w+\(\d+\): )?(.*)$")
_S3_ERROR = re.compile(r"<Error>.*?</Error>", re.S)
PR_SET_PDEATHSIG = 1


class BucketError(Exception):
    """A bucket could not be mounted (its text names the bucket and why)."""


@dataclass
class Mounted:
    name: str                      # the bucket, as messages name it
    directory: str
    proc: Process
    said: collections.deque = field(default_factory=lambda: collections.deque(maxlen=40))   # s3fs's last lines
    reader: asyncio.Task | None = None
    ended: asyncio.Future | None = None


def describe(bm) -> str:
    where = bm.endpoint_url or "AWS S3"
    return f"cloud bucket {bm.bucket_name!r}{' prefix ' + repr(bm.key_prefix) if bm.key_prefix else ''} ({where})"


def s3fs_command(bm, directory: str) -> tuple[list[str], dict[str, str]]:
    """s3fs's argv and environment for mounting ``bm`` at ``directory``; BucketError for a mount no
    client of this version makes (the definition came over the wire: checked again here, as an
    option's value must never carry a ',' into s3fs's next option)."""
    if not _NAME.fullmatch(bm.bucket_name):
        raise BucketError(f"{describe(bm)}: not a bucket's name")
    url = bm.endpoint_url or AWS_URL
    if not url.startswith(("http://", "https://")) or any(c.isspace() or c == "," for c in url):
        raise BucketError(f"{describe(bm)}: {url!r} is not an http:// or https:// URL")
    prefix = bm.key_prefix.strip("/")
    if bm.key_prefix and (not bm.key_prefix.endswith("/") or bm.key_prefix.startswith("/") or "//" in bm.key_prefix):
        raise BucketError(f"{describe(bm)}: key_prefix {bm.key_prefix!r} must end in '/' and not start with one")
    env = {"PATH": os.environ.get("PATH") or DEFAULT_PATH}
    options = [f"url={url}", "dbglevel=err", "connect_timeout=20"]
    if bm.endpoint_url or bm.force_path_style:
        options.append("use_path_request_style")
    if bm.read_only:
        options.append("ro")
    creds = bm.secret_env
    if creds:
        pair = next(((a, b) for a, b in CREDENTIAL_KEYS if creds.get(a) and creds.get(b)), None)
        if pair is None:
            raise BucketError(f"{describe(bm)}: its secret has no AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (it has"
                              f" {', '.join(sorted(creds)) or 'no keys'})")
        env["AWSACCESSKEYID"], env["AWSSECRETACCESSKEY"] = creds[pair[0]], creds[pair[1]]
        if creds.get("AWS_SESSION_TOKEN"):
            env["AWSSESSIONTOKEN"] = creds["AWS_SESSION_TOKEN"]
        region = creds.get("AWS_REGION") or creds.get("AWS_DEFAULT_REGION")
        if region:
            if not _REGION.fullmatch(region):
                raise BucketError(f"{describe(bm)}: AWS_REGION {region!r} of its secret is not a region's name")
            options.append(f"endpoint={region}")   # s3fs's name for the region it signs for
    else:
        options.append("public_bucket=1")
    source = f"{bm.bucket_name}:/{prefix}" if prefix else bm.bucket_name
    argv = ["s3fs", source, directory, "-f"]
    for o in options:
        argv += ["-o", o]
    return argv, env


def said(lines) -> str:
    """What s3fs said that explains a failure: its warnings and errors, without its timestamps and
    source lines; an S3 error's XML as its code and message."""
    kept = []
    for line in lines:
        m = _LOG_LINE.match(line)
        if m is None:
            kept.append(line)
        elif m.group(1) in ("WAN", "ERR", "CRT") and not m.group(2).startswith("change debug level"):
            kept.append(m.group(2))
    text = re.sub(r"<\?xml[^>]*\?>", "", " ".join(kept))
    text = _S3_ERROR.sub(_s3_error, text)
    return " ".join(text.split())[-800:]


def _s3_error(m: re.Match) -> str:
    code, message = re.search(r"<Code>(.*?)</Code>", m.group(0), re.S), re.search(r"<Message>(.*?)</Message>", m.group(0), re.S)
    return f"{code.group(1) if code else 'error'}: {message.group(1) if message else ''} "


def mount_points(under: str) -> list[str]:
    """The mount points at or below ``under`` in this process's mount namespace (read from
    /proc/self/mountinfo: nothing here touches a FUSE mount, which may not answer)."""
    found = []
    prefix = under.rstrip("/") + "/"
    try:
        with open("/proc/self/mountinfo") as f:
            for line in f:
                parts = line.split(" ")
                if len(parts) > 4:
                    point = re.sub(r"\\(\d{3})", lambda m: chr(int(m.group(1), 8)), parts[4])
                    if point == under or point.startswith(prefix):
                        found.append(point)
    except OSError:
        pass
    return found


def _die_with_parent() -> None:   # in the child, between fork and exec
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def _detach(directory: str) -> None:
    """Unmount ``directory`` now (lazily: what still uses it keeps it until it lets go)."""
    from .runtime.sysmount import umount

    try:
        umount(directory)
    except Exception as exc:
        log.warning("could not unmount %s: %s", directory, exc)


def _remove_dirs(top: str) -> None:
    """Remove the empty directories at and below ``top``, deepest first; never a file, and never
    anything still mounted (rmdir refuses both)."""
    if not os.path.isdir(top) or mount_points(top):
        return
    for dirpath, _, _ in sorted(os.walk(top), key=lambda w: -len(w[0])):
        try:
            os.rmdir(dirpath)
        except OSError:
            pass


class BucketMounts:
    def __init__(self, workdir: str):
        self.root = os.path.realpath(os.path.join(workdir, "buckets"))   # as /proc/self/mountinfo names it
        self._mounts: dict[str, list[Mounted]] = {}   # container id -> its mounts

    # ------------------------------------------------------------------ a container's life

    async def prepare(self, container_id: str, mounts) -> list[Mount]:
        """Mount each of the container's buckets on a directory of this worker: the runtime's
        Mounts. BucketError naming the bucket and why, for the first that cannot be (those mounted
        before it stay listed for ``release``, which the container's end calls whatever happened)."""
        if shutil.which("s3fs") is None:
            raise BucketError(f"{describe(mounts[0])}: this worker's host has no s3fs, which mounts cloud buckets:"
                              " install it (Debian: apt-get install s3fs)")
        if not os.path.exists("/dev/fuse"):
            raise BucketError(f"{describe(mounts[0])}: this worker's host has no /dev/fuse, which s3fs needs:"
                              " load the fuse module (modprobe fuse), or give a containerised worker the device")
        os.makedirs(self.root, mode=0o700, exist_ok=True)
        os.chmod(self.root, 0o700)   # its mounts are reached through the containers' binds only
        made = self._mounts.setdefault(container_id, [])
        result = []
        for n, bm in enumerate(mounts):
            directory = os.path.join(self.root, container_id, str(n))
            os.makedirs(directory, exist_ok=True)
            made.append(await self._mount(bm, directory))
            result.append(Mount(directory, bm.path, read_only=bm.read_only))
        return result

    async def release(self, container_id: str) -> None:
        """The container ended (and its runtime let go of it): each bucket is unmounted, s3fs ends,
        the directories go. A failure is logged: the end must still reach the server."""
        async def stop(m: Mounted) -> None:
            try:
                await self._stop(m)
            except Exception:
                log.exception("container %s: could not unmount %s", container_id, m.name)

        await asyncio.gather(*(stop(m) for m in self._mounts.pop(container_id, [])))
        _remove_dirs(os.path.join(self.root, container_id))

    async def remove_leftovers(self) -> None:
        """At the worker's start: mounts an earlier worker here left behind are detached (their
        s3fs ends), their directories removed."""
        points = mount_points(self.root)
        for point in sorted(points, key=len, reverse=True):
            _detach(point)
        if points:
            log.info("unmounted %d cloud bucket(s) left by an earlier worker here", len(points))
        _remove_dirs(self.root)

    # ------------------------------------------------------------------ one mount

    async def _mount(self, bm, directory: str) -> Mounted:
        argv, env = s3fs_command(bm, directory)
        proc = await spawn(
            *argv, env=env, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT, start_new_session=True, preexec_fn=_die_with_parent)
        m = Mounted(describe(bm), directory, proc)
        m.reader = asyncio.ensure_future(self._read(m))
        m.ended = asyncio.ensure_future(proc.wait())
        try:
            await self._until_mounted(m)
        except BaseException:
            await self._stop(m)
            raise
        return m

    async def _until_mounted(self, m: Mounted) -> None:
        """Wait for the mount, then for it to answer: s3fs checks the bucket (that it is there, and
        these credentials may list it) before it answers, and ends if that fails."""
        deadline = time.monotonic() + MOUNT_TIMEOUT_S
        while m.directory not in mount_points(m.directory):
            if m.ended.done():
                raise BucketError(await self._failure(m))
            if time.monotonic() > deadline:
                raise BucketError(f"{m.name} could not be mounted: s3fs did not mount it within {MOUNT_TIMEOUT_S:g} s")
            await asyncio.sleep(POLL_S)
        answer = asyncio.ensure_future(asyncio.to_thread(os.stat, m.directory))
        answer.add_done_callback(lambda f: f.cancelled() or f.exception())   # read, even once no one waits
        done, _ = await asyncio.wait({answer, m.ended}, timeout=max(0.0, deadline - time.monotonic()),
                                     return_when=asyncio.FIRST_COMPLETED)
        if answer in done and answer.exception() is None and not m.ended.done():
            return
        if not done:
            raise BucketError(f"{m.name} could not be mounted: s3fs did not answer within {MOUNT_TIMEOUT_S:g} s"
                              f"{self._said(m)}")
        raise BucketError(await self._failure(m))

    async def _failure(self, m: Mounted) -> str:
        """Why s3fs ended before its mount answered: what it said."""
        try:
            await asyncio.wait_for(asyncio.shield(m.ended), 5.0)
            await asyncio.wait_for(asyncio.shield(m.reader), 1.0)
        except (asyncio.TimeoutError, asyncio.CancelledError):
            pass
        code = m.proc.returncode
        how = ("its mount did not answer" if code is None else "s3fs gave up" if code == 0
               else f"s3fs ended (exit code {code})")
        return f"{m.name} could not be mounted: {how}{self._said(m)}"

    @staticmethod
    def _said(m: Mounted) -> str:
        text = said(m.said)
        return f": {text}" if text else ""

    async def _read(self, m: Mounted) -> None:
        """s3fs's output (it must never fill its pipe): kept, the last lines, for a failure's text."""
        stream, rest = m.proc.stdout, b""
        while True:
            data = await stream.read(65536)
            *lines, rest = (rest + data).split(b"\n") if data else (rest, b"")
            for line in lines:
                text = line[:4096].decode(errors="replace").rstrip()
                if text:
                    m.said.append(text)
                    log.debug("s3fs %s: %s", m.name, text)
            if not data:
                return
            rest = rest[-4096:]

    async def _stop(self, m: Mounted) -> None:
        """Detach the mount, then end s3fs. It is told to (SIGTERM: it leaves its FUSE loop and
        exits) rather than waited for: mount namespaces made while it was mounted (a crun wrapped in
        `unshare` on a hybrid cgroup host) hold copies of the mount that would keep it running until
        their containers end; no process of the ended container uses it any more."""
        if m.directory in mount_points(m.directory):
            await asyncio.to_thread(_detach, m.directory)
        _signal(m, signal.SIGTERM)
        try:
            await asyncio.wait_for(asyncio.shield(m.ended), STOP_S)
        except asyncio.TimeoutError:
            log.warning("s3fs of %s did not end within %g s of SIGTERM: killed", m.name, STOP_S)
            _signal(m, signal.SIGKILL)
            await m.ended
        if m.reader is not None:
            try:
                await asyncio.wait_for(m.reader, 1.0)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                pass


def _signal(m: Mounted, sig: int) -> None:
    if not m.ended.done():
        try:
            m.proc.send_signal(sig)
        except ProcessLookupError:   # it ended already (the detach was its last reference)
            pass
