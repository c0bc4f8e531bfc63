"""A local registry (Debian's docker-registry) for tests, and pushing images to it by hand."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import subprocess
import tarfile
import time
import urllib.error
import urllib.request

INDEX = "application/vnd.oci.image.index.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
CONFIG = "application/vnd.oci.image.config.v1+json"
TAR, TAR_GZIP, TAR_ZSTD = ("application/vnd.oci.image.layer.v1.tar", "application/vnd.oci.image.layer.v1.tar+gzip",
                           "application/vnd.oci.image.layer.v1.tar+zstd")


def start(directory: str, port: int, users: dict[str, str] | None = None) -> subprocess.Popen:
    """Start a registry; with ``users``, it asks for basic auth (htpasswd, bcrypt)."""
    config = os.path.join(directory, "config.yml")
    auth = ""
    if users:
        htpasswd = os.path.join(directory, "htpasswd")
        with open(htpasswd, "w") as f:
            for user, password in users.items():
                f.write(subprocess.run(["htpasswd", "-Bbn", user, password], capture_output=True, text=True,
                                       check=True).stdout.strip() + "\n")
        auth = f"auth:\n  htpasswd:\n    realm: test\n    path: {htpasswd}\n"
    with open(config, "w") as f:
        f.write(f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {directory}/data\n"
                f"http:\n  addr: 127.0.0.1:{port}\n{auth}")
    proc = subprocess.Popen(["docker-registry", "serve", config], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=1).close()
            return proc
        except urllib.error.HTTPError:   # 401: it is up, and asks for credentials
            return proc
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("the local docker-registry did not start")


def tar_layer(entries: dict[str, bytes | tuple | None], compression: str = "gzip") -> tuple[bytes, str]:
    """A layer from {path: content}; content None makes a directory, (content, mode) a file of that mode."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for path, content in entries.items():
            info = tarfile.TarInfo(path)
            if content is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            else:
                content, mode = content if isinstance(content, tuple) else (content, 0o644)
                info.size, info.mode = len(content), mode
                tar.addfile(info, io.BytesIO(content))
    return compress(raw.getvalue(), compression)


def compress(data: bytes, compression: str) -> tuple[bytes, str]:
    if compression == "gzip":
        return gzip.compress(data, compresslevel=1), TAR_GZIP
    if compression == "zstd":
        import zstandard

        return zstandard.ZstdCompressor().compress(data), TAR_ZSTD
    return data, TAR


class Pusher:
    def __init__(self, port: int, repository: str, auth: tuple[str, str] | None = None):
        self.base = f"http://127.0.0.1:{port}/v2/{repository}"
        import base64

        self.headers = {"Authorization": "Basic " + base64.b64encode(":".join(auth).encode()).decode()} if auth else {}

    def blob(self, data: bytes) -> str:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        req = urllib.request.Request(f"{self.base}/blobs/uploads/", method="POST", headers=self.headers)
        with urllib.request.urlopen(req) as resp:
            location = resp.headers["Location"]
        if location.startswith("/"):
            location = self.base.split("/v2/")[0] + location
        sep = "&" if "?" in location else "?"
        req = urllib.request.Request(f"{location}{sep}digest={digest}", data=data, method="PUT",
                                     headers={"Content-Type": "application/octet-stream", **self.headers})
        urllib.request.urlopen(req).close()
        return digest

    def manifest(self, reference: str, doc: dict, media_type: str) -> str:
        body = json.dumps(doc).encode()
        req = urllib.request.Request(f"{self.base}/manifests/{reference}", data=body, method="PUT",
                                     headers={"Content-Type": media_type, **self.headers})
        urllib.request.urlopen(req).close()
        return "sha256:" + hashlib.sha256(body).hexdigest()

    def image(self, tag: str, layers: list[tuple[bytes, str]], env: list[str] | None = None, workdir: str = "",
              extra_platforms: tuple[str, ...] = ("arm64",)) -> str:
        """Push layers and a config; tag an index over this host's platform and ``extra_platforms``."""
        config = json.dumps({"architecture": "amd64", "os": "linux",
                             "config": {"Env": env or [], "WorkingDir": workdir},
                             "rootfs": {"type": "layers", "diff_ids": []}}).encode()
        manifest = {"schemaVersion": 2, "mediaType": MANIFEST,
                    "config": {"mediaType": CONFIG, "digest": self.blob(config), "size": len(config)},
                    "layers": [{"mediaType": mt, "digest": self.blob(data), "size": len(data)} for data, mt in layers]}
        from leveret.worker.images.registry import ARCH

        digest = self.manifest(tag + "-single", manifest, MANIFEST)
        index = {"schemaVersion": 2, "mediaType": INDEX, "manifests": [
            {"mediaType": MANIFEST, "digest": digest, "size": len(json.dumps(manifest)),
             "platform": {"os": "linux", "architecture": arch}} for arch in (ARCH, *extra_platforms)]}
        return self.manifest(tag, index, INDEX)
