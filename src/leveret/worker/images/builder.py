"""Builds images into cached layers, and assembles the layers a container runs on.

    Image steps ─▶ for each step: layer id = sha256(parent id + step)
        cached?  ─▶ reuse layers/<id>/diff
        env / workdir ─▶ no files: only the image config changes
        apt_install / pip_install / uv_pip_install / run_commands ─▶ a build container (the OCI
            runtime) over the layers below, its writes kept in a fresh upper dir ─▶ on success: files
            moved into the content-addressed store (identical files stored once, hard-linked) and the
            dir renamed to layers/<id>/diff; on failure: the command, exit code and output, the cache
            untouched
    ─▶ BuiltImage(lowers = newest layer first … base, env, workdir): an overlay's lowerdir list

Build output streams, line by line, to ``log`` as it is written.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import os
import shlex
import shutil
import stat
import subprocess
from typing import Callable

from ..logbuf import LineSplitter
from ..runtime.base import ContainerSpec
from . import base
from ..runtime.spawn import spawn

BUILD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
OUTPUT_TAIL_LINES = 30


class BuildError(Exception):
    """A build step failed; the message has its command, exit code and the end of its output."""


@dataclasses.dataclass(frozen=True)
class BuiltImage:
    lowers: tuple[str, ...]       # overlay lower dirs, top layer first
    env: dict
    workdir: str

    @property
    def lowerdir(self) -> str:
        return ":".join(self.lowers)


def step_command(step: dict) -> str:
    """The shell command that performs a build step."""
    op = step["op"]
    if op == "apt_install":
        pkgs = " ".join(shlex.quote(p) for p in step["packages"])
        return ("apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "
                f"{pkgs} && rm -rf /var/lib/apt/lists/*")
    if op == "pip_install":
        args = ["python3", "-m", "pip", "install", "--no-cache-dir", "--disable-pip-version-check"]
        if step.get("pre"):
            args.append("--pre")
        if step.get("extra_index_url"):
            args += ["--extra-index-url", step["extra_index_url"]]
        return " ".join(shlex.quote(a) for a in args + step["packages"])
    if op == "uv_pip_install":
        return uv_pip_install_command(step)
    if op == "run_commands":
        return " && ".join(f"({c})" for c in step["commands"])
    raise ValueError(f"step {op!r} runs no command")


UV = "/.uv/uv"   # where Modal's uv_pip_install leaves uv in the image; we do the same
HOST_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"   # containers get the host's (runtime/oci.py)


def uv_pip_install_command(step: dict) -> str:
    """Fetch uv (a static binary on PyPI) with the image's pip into a temporary directory, keep it at
    /.uv/uv, write the requirements files there, and ``uv pip install`` into the image's python3."""
    q = shlex.quote
    commands = [
        'd=$(mktemp -d)',
        "PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --no-cache-dir --disable-pip-version-check"
        f' --only-binary=:all: --no-deps --target "$d" {q("uv==" + step["uv_version"])}',
        f'mkdir -p {os.path.dirname(UV)}', f'mv "$d/bin/uv" {UV}', f"{UV} --version",
    ]
    args = [UV, "pip", "install", '--python "$(command -v python3)"', "--no-cache", "--link-mode=copy",
            "--compile-bytecode", "--break-system-packages"]   # the image's Python is its own (as base.py says)
    for option, flag in (("find_links", "--find-links"), ("index_url", "--index-url"),
                         ("extra_index_url", "--extra-index-url")):
        if step.get(option):
            args += [flag, q(step[option])]
    if step.get("pre"):
        args += ["--prerelease", "allow"]
    args += [q(w) for w in step.get("extra_options", [])]
    for n, req in enumerate(step.get("requirements", [])):
        path = f'"$d"/req{n}/{q(req["name"])}'   # its own name: uv reads pyproject.toml and pylock.toml by name
        commands.append(f'mkdir "$d"/req{n} && printf %s {q(req["text"])} > {path}')
        args += ["--requirements", path]
    args += [q(p) for p in step["packages"]]
    # uv trusts its own CA list unless told otherwise; containers trust what the host does
    commands.append(f'if [ -z "${{SSL_CERT_FILE:-}}" ] && [ -f {HOST_CA_BUNDLE} ]; then export SSL_CERT_FILE={HOST_CA_BUNDLE}; fi')
    commands += [" ".join(args), 'rm -rf "$d"']
    return " && ".join(commands)


def layer_id(parent: str, step: dict) -> str:
    return hashlib.sha256((parent + json.dumps(step, sort_keys=True)).encode()).hexdigest()[:32]


class ImageBuilder:
    def __init__(self, root: str, runtime):
        self.root = base.private_dir(root)
        self.runtime = runtime
        self.layers = os.path.join(root, "layers")
        self.blobs = os.path.join(root, "blobs")
        self._locks: dict[str, asyncio.Lock] = {}
        self.hits = self.misses = 0

    async def build(self, steps: list[dict], log: Callable[[str], None],
                    fetch_mount: Callable | None = None, fetch_blob: Callable | None = None) -> BuiltImage:
        """Build (or find cached) every layer of ``steps``; return what a container runs on.
        ``fetch_mount(id)``: a code mount's directory; ``fetch_blob(id)``: a blob's chunks (snapshots)."""
        lowers, env, workdir, parent = await self._base(steps[0] if steps else {}, log, fetch_blob)
        used: list[str] = []
        for n, step in enumerate(steps[1:], start=1):
            lid = layer_id(parent, step)
            parent = lid
            if step["op"] == "env":
                env.update(step["vars"])
                continue
            if step["op"] == "workdir":
                workdir = step["path"]
                continue
            diff = os.path.join(self.layers, lid, "diff")
            lock = self._locks.setdefault(lid, asyncio.Lock())
            used.append(os.path.join(self.layers, lid))
            async with lock:
                if os.path.isdir(diff):
                    self.hits += 1
                    log(f"step {n}/{len(steps) - 1} {step['op']}: cached")
                else:
                    self.misses += 1
                    if step["op"] == "add_files":
                        log(f"step {n}/{len(steps) - 1} add_files: into {step['remote']}")
                        files = await fetch_mount(step["mount_id"])
                        await asyncio.get_running_loop().run_in_executor(None, self._add_files, lid, step, files)
                    elif step["op"] == "snapshot":
                        log(f"step {n}/{len(steps) - 1} snapshot: {step['size']} bytes of files")
                        await self._add_snapshot(lid, step, fetch_blob)
                    else:
                        log(f"step {n}/{len(steps) - 1} {step['op']}: {step_command(step)}")
                        await self._run_step(lid, step, lowers, env, workdir, log)
            lowers.insert(0, diff)
        for layer in used + [os.path.dirname(d) for d in lowers]:   # a layer's dir, or a base's
            try:   # `leveret image prune` removes layers (and bases) by when they were last used
                os.utime(layer)
            except FileNotFoundError:
                pass
        return BuiltImage(tuple(lowers), env, workdir)

    async def _base(self, step: dict, log, fetch_blob: Callable | None = None) -> tuple[list[str], dict, str, str]:
        """The base's layers (top first), env, workdir, and the id later layers chain from."""
        loop = asyncio.get_running_loop()
        if step.get("op") == "directory":   # a sandbox's directory snapshot: its files alone, to mount
            lid = layer_id("", step)
            diff = os.path.join(self.layers, lid, "diff")
            async with self._locks.setdefault(lid, asyncio.Lock()):
                if not os.path.isdir(diff):
                    log(f"directory snapshot: {step['size']} bytes of files")
                    await self._add_snapshot(lid, step, fetch_blob)
            return [diff], {}, "/", lid
        if step.get("op") == "debian_slim":
            if not all(c in "0123456789abcdef" for c in step.get("force", "")):
                raise BuildError("debian_slim: a malformed force_build value")
            if not base.is_built(step.get("force", "")):
                log("building the debian_slim base with mmdebstrap: once per machine, about 20 s")
            rootfs = await loop.run_in_executor(None, base.debian_slim, step.get("python_version", ""), step.get("force", ""))
            return [rootfs], {}, "/", layer_id("", step)
        if step.get("op") == "from_registry":
            from .registry import PullError, pull

            def log_from_thread(text: str) -> None:
                loop.call_soon_threadsafe(log, text)

            try:
                diffs, env, workdir, digest = await loop.run_in_executor(
                    None, pull, step["ref"], os.path.join(self.root, "registry"), log_from_thread,
                    tuple(step.get("credentials") or ("", "")))
            except PullError as exc:
                raise BuildError(f"Image.from_registry({step['ref']!r}): {exc}") from None
            return diffs, env, workdir, layer_id("", {"op": "from_registry", "digest": digest})
        raise BuildError("an image starts with Image.debian_slim() or Image.from_registry(...) (or is a sandbox's"
                         " directory snapshot)")

    async def _run_step(self, lid: str, step: dict, lowers: list[str], env: dict, workdir: str, log) -> None:
        layer = os.path.join(self.layers, lid)
        tmp_upper = os.path.join(self.layers, f".{lid}.building")
        shutil.rmtree(tmp_upper, ignore_errors=True)
        shutil.rmtree(tmp_upper + ".work", ignore_errors=True)
        command = step_command(step)
        spec = ContainerSpec(
            container_id=f"build-{lid[:16]}", argv=["/bin/sh", "-c", f"mkdir -p {shlex.quote(workdir)} && cd {shlex.quote(workdir)} && {command}"],
            env={"PATH": BUILD_PATH, "HOME": "/root", **env}, workdir=self.root, rootfs=":".join(lowers),
            upper_dir=tmp_upper)
        tail: list[str] = []

        def emit(stream: int, texts: list[str], input_id: str) -> None:
            tail.extend(texts)
            del tail[:-OUTPUT_TAIL_LINES]
            for text in texts:
                log(text)

        lines = LineSplitter(emit)
        try:
            handle = await self.runtime.start(spec)
            try:
                async def pump(stream, fd: int):
                    while chunk := await stream.read(65536):
                        lines.feed(fd, chunk.decode("utf-8", "replace"), "")

                await asyncio.gather(pump(handle.stdout, 1), pump(handle.stderr, 2))
                lines.flush_all()
                code = await handle.wait()
            finally:
                await self.runtime.remove(handle)
            if code != 0:
                raise BuildError(f"image build step {step['op']} failed with exit code {code}\n"
                                 f"command: {command}\noutput (last lines):\n" + "\n".join(tail))
            await asyncio.get_running_loop().run_in_executor(None, self._store_layer, tmp_upper, layer, step)
        finally:
            shutil.rmtree(tmp_upper, ignore_errors=True)
            shutil.rmtree(tmp_upper + ".work", ignore_errors=True)

    def _add_files(self, lid: str, step: dict, files_dir: str) -> None:
        """A layer holding a local directory's files under step['remote'] (no container needed)."""
        upper = os.path.join(self.layers, f".{lid}.adding")
        shutil.rmtree(upper, ignore_errors=True)
        target = os.path.normpath(os.path.join(upper, str(step["remote"]).lstrip("/")))
        if target != upper and not target.startswith(upper + os.sep):
            raise BuildError(f"add_files: remote path {step['remote']!r} leaves the image")
        shutil.copytree(files_dir, target, copy_function=shutil.copy2, dirs_exist_ok=True)
        self._store_layer(upper, os.path.join(self.layers, lid), step)

    async def _add_snapshot(self, lid: str, step: dict, fetch_blob: Callable) -> None:
        """A sandbox's snapshot (worker/snapshots.py): its tar fetched, checked and unpacked as a layer."""
        from ..snapshots import tar_args

        upper = os.path.join(self.layers, f".{lid}.unpacking")
        archive = upper + ".tar"
        shutil.rmtree(upper, ignore_errors=True)
        os.makedirs(upper)
        try:
            sha = hashlib.sha256()
            with open(archive, "wb") as f:
                async for chunk in fetch_blob(step["blob"]):
                    sha.update(chunk)
                    f.write(chunk)
            if sha.hexdigest() != step["sha256"]:
                raise BuildError(f"snapshot {step['blob']}: its bytes do not match its sha256 (the blob was changed)")
            proc = await spawn(*tar_args(archive, upper), stdout=asyncio.subprocess.DEVNULL,
                                                        stderr=asyncio.subprocess.PIPE)
            _, err = await proc.communicate()
            if proc.returncode:
                raise BuildError(f"snapshot {step['blob']} could not be unpacked: {err.decode(errors='replace')}")
            await asyncio.get_running_loop().run_in_executor(None, self._store_layer, upper, os.path.join(
                self.layers, lid), step)
        finally:
            shutil.rmtree(upper, ignore_errors=True)
            if os.path.exists(archive):
                os.unlink(archive)

    def _store_layer(self, upper: str, layer: str, step: dict) -> None:
        """Move regular files into the content-addressed store (hard links), then publish the layer."""
        os.makedirs(self.blobs, exist_ok=True)
        for root, _, files in os.walk(upper):
            for name in files:
                path = os.path.join(root, name)
                st = os.lstat(path)
                if not stat.S_ISREG(st.st_mode) or st.st_nlink > 1:
                    continue
                with open(path, "rb") as f:
                    digest = hashlib.sha256(f.read()).hexdigest()
                blob = os.path.join(self.blobs, digest[:2], digest)
                if os.path.exists(blob) and os.lstat(blob).st_mode == st.st_mode and os.lstat(blob).st_uid == st.st_uid:
                    os.unlink(path)
                    os.link(blob, path)
                else:
                    os.makedirs(os.path.dirname(blob), exist_ok=True)
                    if not os.path.exists(blob):
                        os.link(path, blob)
        staging = layer + ".staging"
        shutil.rmtree(staging, ignore_errors=True)
        os.makedirs(staging)
        os.rename(upper, os.path.join(staging, "diff"))
        with open(os.path.join(staging, "step.json"), "w") as f:
            json.dump(step, f)
        os.rename(staging, layer)


def available_python(suite_packages: Callable[[], str] | None = None) -> str:
    """major.minor of the python3 the host's Debian release offers."""
    out = (suite_packages or (lambda: subprocess.run(["apt-cache", "show", "python3"], capture_output=True, text=True).stdout))()
    for line in out.splitlines():
        if line.startswith("Version:"):
            return ".".join(line.split()[1].split(".")[:2])
    return ""
