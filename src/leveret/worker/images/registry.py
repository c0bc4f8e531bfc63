"""Pulling images from OCI / Docker registries over the distribution API.

    ref ─▶ GET /v2/<repo>/manifests/<tag|digest>   (a token fetched first if the registry asks)
        index / manifest list? ─▶ the manifest for this host's platform, fetched by digest
        ─▶ config blob (env, working dir) and layer blobs, each verified against its sha256
        ─▶ each layer unpacked (tar, tar+gzip, tar+zstd) into layers/sha256-<hex>/diff once,
           its whiteouts turned into overlayfs ones (".wh.x": a 0/0 character device; ".wh..wh..opq":
           the trusted.overlay.opaque attribute)

Plain HTTP is used only for registries on this machine (localhost, 127.0.0.1, ::1).
"""

from __future__ import annotations

import base64
import dataclasses
import gzip
import hashlib
import json
import os
import platform
import shutil
import stat
import tarfile
import urllib.error
import urllib.parse
import urllib.request

MANIFEST_TYPES = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
]
INDEX_TYPES = MANIFEST_TYPES[:2]
ARCH = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]"}
TIMEOUT_S = 120


class PullError(Exception):
    """An image could not be pulled; the message says why."""


@dataclasses.dataclass(frozen=True)
class Reference:
    registry: str
    repository: str
    reference: str          # a tag, or a digest "sha256:…"

    @staticmethod
    def parse(text: str) -> "Reference":
        name, digest = text, ""
        if "@" in name:
            name, digest = name.split("@", 1)
        first, _, rest = name.partition("/")
        if rest and ("." in first or ":" in first or first == "localhost"):
            registry, path = first, rest
        else:
            registry, path = "registry-1.docker.io", name
            if "/" not in path:
                path = "library/" + path
        tag = "latest"
        if ":" in path.rsplit("/", 1)[-1]:
            path, tag = path.rsplit(":", 1)
        if not path or any(c.isupper() for c in path):
            raise PullError(f"{text!r} is not an image reference (e.g. 'python:3.11-slim' or 'localhost:5000/team/app:v1')")
        return Reference(registry, path, digest or tag)

    @property
    def base_url(self) -> str:
        host = self.registry.rsplit(":", 1)[0] if not self.registry.startswith("[") else self.registry.split("]")[0] + "]"
        scheme = "http" if host in LOCAL_HOSTS else "https"
        return f"{scheme}://{self.registry}/v2/{self.repository}"


class Registry:
    def __init__(self, ref: Reference, username: str = "", password: str = ""):
        self.ref = ref
        self._basic = base64.b64encode(f"{username}:{password}".encode()).decode() if username else ""
        self._token = ""

    def _open(self, url: str, accept: list[str] | None = None):
        for _ in range(2):
            req = urllib.request.Request(url, headers={"Accept": ", ".join(accept)} if accept else {})
            if self._token:   # never copied onto a redirect (blobs often redirect to a CDN)
                req.add_unredirected_header("Authorization", f"Bearer {self._token}")
            elif self._basic:
                req.add_unredirected_header("Authorization", f"Basic {self._basic}")
            try:
                return urllib.request.urlopen(req, timeout=TIMEOUT_S)
            except urllib.error.HTTPError as err:
                challenge = err.headers.get("WWW-Authenticate", "")
                if err.code == 401 and challenge.lower().startswith("bearer") and not self._token:
                    self._token = self._fetch_token(challenge)
                    continue
                if err.code == 401:
                    how = "wrong credentials" if self._basic else "it needs credentials"
                    raise PullError(f"{self.ref.registry} refused {self.ref.repository}: {how}; pass"
                                    " secret=leveret.Secret.from_dict({'REGISTRY_USERNAME': …, 'REGISTRY_PASSWORD': …})") from None
                raise PullError(f"{self.ref.registry} answered {err.code} for {url}: {err.reason}") from None
            except urllib.error.URLError as err:
                raise PullError(f"cannot reach registry {self.ref.registry}: {err.reason}") from None
        raise PullError(f"{self.ref.registry} refused the credentials for {self.ref.repository}")

    def _fetch_token(self, challenge: str) -> str:
        params = dict(part.split("=", 1) for part in challenge.split(" ", 1)[1].replace('"', "").split(","))
        realm = params.pop("realm")
        url = realm + "?" + urllib.parse.urlencode(params)
        req = urllib.request.Request(url)
        if self._basic:
            req.add_unredirected_header("Authorization", f"Basic {self._basic}")
        try:
            with urllib.request.urlopen(req, timeout=TIMEOUT_S) as resp:
                body = json.load(resp)
        except urllib.error.HTTPError as err:
            how = "wrong credentials" if self._basic else "it needs credentials"
            raise PullError(f"{self.ref.registry} refused a token for {self.ref.repository} ({err.code}): {how};"
                            " pass secret=leveret.Secret.from_dict({'REGISTRY_USERNAME': …, 'REGISTRY_PASSWORD': …})") from None
        return body.get("token") or body.get("access_token") or ""

    def manifest(self, reference: str) -> tuple[str, dict, str]:
        """(media type, manifest, its digest) for a tag or digest; a digest is verified."""
        with self._open(f"{self.ref.base_url}/manifests/{reference}", MANIFEST_TYPES) as resp:
            body = resp.read()
            media_type = resp.headers.get("Content-Type", "").split(";")[0]
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        if reference.startswith("sha256:") and digest != reference:
            raise PullError(f"manifest {reference} of {self.ref.repository} does not match its digest")
        doc = json.loads(body)
        return doc.get("mediaType", media_type), doc, digest

    def image_manifest(self) -> tuple[dict, str]:
        """This platform's image manifest and its digest."""
        media_type, doc, digest = self.manifest(self.ref.reference)
        if media_type in INDEX_TYPES or "manifests" in doc:
            wanted = [m for m in doc["manifests"]
                      if m.get("platform", {}).get("os") == "linux" and m.get("platform", {}).get("architecture") == ARCH]
            if not wanted:
                offered = sorted({f"{m.get('platform', {}).get('os')}/{m.get('platform', {}).get('architecture')}"
                                  for m in doc["manifests"]})
                raise PullError(f"{self.ref.repository}:{self.ref.reference} has no linux/{ARCH} image (it has {', '.join(offered)})")
            _, doc, digest = self.manifest(wanted[0]["digest"])
        return doc, digest

    def blob(self, digest: str, dest: str) -> None:
        """Download a blob to ``dest``, verifying its sha256."""
        algo, _, want = digest.partition(":")
        if algo != "sha256":
            raise PullError(f"unsupported digest algorithm in {digest}")
        h = hashlib.sha256()
        tmp = dest + ".part"
        with self._open(f"{self.ref.base_url}/blobs/{digest}") as resp, open(tmp, "wb") as out:
            while chunk := resp.read(1 << 20):
                h.update(chunk)
                out.write(chunk)
        if h.hexdigest() != want:
            os.unlink(tmp)
            raise PullError(f"blob {digest} of {self.ref.repository} does not match its digest (got sha256:{h.hexdigest()})")
        os.replace(tmp, dest)


def _open_layer(path: str, media_type: str):
    if media_type.endswith("+zstd") or media_type.endswith(".zstd"):
        import zstandard

        return zstandard.ZstdDecompressor().stream_reader(open(path, "rb"), closefd=True)
    if media_type.endswith("gzip") or media_type.endswith("+gzip"):
        return gzip.open(path, "rb")
    return open(path, "rb")


def _member_filter(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo:
    tarfile.tar_filter(member, dest)   # refuses absolute paths, paths and symlinks leaving dest
    if member.islnk():                 # ... but not every Python checks hard links: do it here
        if os.path.isabs(member.linkname):
            raise PullError(f"layer entry {member.name!r} hard-links to an absolute path")
        _check_inside(dest, os.path.join(dest, member.linkname))
    return member                      # modes are kept: setuid binaries are part of images


def unpack_layer(blob: str, media_type: str, diff: str) -> None:
    """Unpack a layer blob into ``diff`` as an overlayfs layer (whiteouts converted)."""
    os.makedirs(diff, exist_ok=True)
    with _open_layer(blob, media_type) as raw, tarfile.open(fileobj=raw, mode="r|") as tar:
        for member in tar:
            head, base = os.path.split(member.name.rstrip("/"))
            if base == ".wh..wh..opq":
                target = os.path.join(diff, head)
                _check_inside(diff, os.path.join(target, "x"))
                os.makedirs(target, exist_ok=True)
                os.setxattr(target, "trusted.overlay.opaque", b"y")
            elif base.startswith(".wh."):
                target = os.path.join(diff, head, base[4:])
                _check_inside(diff, target)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                os.mknod(target, stat.S_IFCHR | 0o000, os.makedev(0, 0))
            else:
                tar.extract(member, diff, numeric_owner=True, filter=_member_filter)


def _check_inside(root: str, path: str) -> None:
    if os.path.isabs(os.path.relpath(path, root)) or not os.path.realpath(path).startswith(os.path.realpath(root) + os.sep):
        raise PullError(f"layer entry {path!r} leaves the layer")


def pull(text: str, layers_dir: str, log, credentials: tuple[str, str] = ("", "")) -> tuple[list[str], dict, str, str]:
    """Pull ``text`` (e.g. 'python:3.11-slim'): (layer dirs, top first), env, workdir, manifest digest."""
    ref = Reference.parse(text)
    registry = Registry(ref, *credentials)
    log(f"pulling {ref.registry}/{ref.repository}:{ref.reference}")
    manifest, manifest_digest = registry.image_manifest()
    os.makedirs(layers_dir, exist_ok=True)
    config_path = os.path.join(layers_dir, ".config-" + manifest["config"]["digest"].replace(":", "-"))
    registry.blob(manifest["config"]["digest"], config_path)
    with open(config_path) as f:
        config = json.load(f).get("config") or {}
    os.unlink(config_path)
    diffs = []
    for n, layer in enumerate(manifest["layers"], start=1):
        digest = layer["digest"]
        target = os.path.join(layers_dir, digest.replace(":", "-"))
        diff = os.path.join(target, "diff")
        if os.path.isdir(diff):
            log(f"layer {n}/{len(manifest['layers'])} {digest[:19]}: cached")
        else:
            log(f"layer {n}/{len(manifest['layers'])} {digest[:19]}: {layer.get('size', 0) / 1e6:.1f} MB")
            staging = target + ".staging"
            shutil.rmtree(staging, ignore_errors=True)
            os.makedirs(staging)
            try:
                blob = os.path.join(staging, "blob")
                registry.blob(digest, blob)
                unpack_layer(blob, layer.get("mediaType", ""), os.path.join(staging, "diff"))
                os.unlink(blob)
                os.rename(staging, target)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        diffs.append(diff)
    env = dict(item.split("=", 1) for item in config.get("Env") or [] if "=" in item)
    return list(reversed(diffs)), env, config.get("WorkingDir") or "/", manifest_digest
