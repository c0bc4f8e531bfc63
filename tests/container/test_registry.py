"""Pulling from a real (local) registry: indexes, gzip and zstd layers, whiteouts, digests."""

import os
import subprocess

import pytest

import registry as reg
from leveret.worker.images.registry import PullError, Reference, Registry, pull

pytestmark = pytest.mark.container


def test_references_parse_like_docker():
    assert Reference.parse("python:3.11-slim") == Reference("registry-1.docker.io", "library/python", "3.11-slim")
    assert Reference.parse("localhost:5000/team/app") == Reference("localhost:5000", "team/app", "latest")
    assert Reference.parse("ghcr.io/o/r@sha256:ab").reference == "sha256:ab"
    assert Reference.parse("localhost:5000/app:v1").base_url == "http://localhost:5000/v2/app"
    assert Reference.parse("ghcr.io/o/r:1").base_url.startswith("https://")
    with pytest.raises(PullError, match="not an image reference"):
        Reference.parse("Bad/Name")


def test_pull_picks_the_platform_and_turns_whiteouts_into_overlay_ones(local_registry, tmp_path):
    pusher = reg.Pusher(local_registry, "test/layered")
    base = reg.tar_layer({"a": None, "a/keep.txt": b"keep", "a/gone.txt": b"gone", "d": None, "d/x.txt": b"x"}, "gzip")
    top = reg.tar_layer({"a": None, "a/.wh.gone.txt": b"", "d": None, "d/.wh..wh..opq": b"", "d/y.txt": b"y"}, "zstd")
    pusher.image("v1", [base, top], env=["PATH=/usr/bin:/bin", "GREETING=hi"], workdir="/srv")
    logs = []
    diffs, env, workdir, digest = pull(f"127.0.0.1:{local_registry}/test/layered:v1", str(tmp_path / "layers"), logs.append)
    assert env == {"PATH": "/usr/bin:/bin", "GREETING": "hi"} and workdir == "/srv" and digest.startswith("sha256:")
    top_diff, base_diff = diffs
    assert os.major(os.stat(os.path.join(top_diff, "a", "gone.txt")).st_rdev) == 0     # a whiteout
    assert os.getxattr(os.path.join(top_diff, "d"), "trusted.overlay.opaque") == b"y"
    merged = tmp_path / "merged"
    merged.mkdir()
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o", f"lowerdir={top_diff}:{base_diff}", str(merged)], check=True)
    try:
        seen = sorted(os.path.relpath(os.path.join(d, n), merged) for d, _, ns in os.walk(merged) for n in ns)
    finally:
        subprocess.run(["umount", str(merged)], check=True)
    assert seen == ["a/keep.txt", "d/y.txt"]
    again = []
    pull(f"127.0.0.1:{local_registry}/test/layered:v1", str(tmp_path / "layers"), again.append)
    assert sum("cached" in line for line in again) == 2


def test_a_platform_the_index_lacks_is_named(local_registry, tmp_path, monkeypatch):
    pusher = reg.Pusher(local_registry, "test/other-arch")
    pusher.image("v1", [reg.tar_layer({"f": b"1"})])
    monkeypatch.setattr("leveret.worker.images.registry.ARCH", "riscv64")
    with pytest.raises(PullError, match="no linux/riscv64 image"):
        pull(f"127.0.0.1:{local_registry}/test/other-arch:v1", str(tmp_path), lambda line: None)


def test_a_blob_that_does_not_match_its_digest_is_refused(local_registry, tmp_path, monkeypatch):
    pusher = reg.Pusher(local_registry, "test/tampered")
    digest = pusher.blob(b"the real content")
    client = Registry(Reference.parse(f"127.0.0.1:{local_registry}/test/tampered:v1"))
    real_open = client._open

    def tampering_open(url, accept=None):
        resp = real_open(url, accept)
        body = resp.read()
        import io

        fake = io.BytesIO(body + b" and something else")
        fake.headers = resp.headers
        fake.__enter__ = lambda: fake
        return fake

    monkeypatch.setattr(client, "_open", tampering_open)
    with pytest.raises(PullError, match="does not match its digest"):
        client.blob(digest, str(tmp_path / "blob"))
    assert not os.path.exists(tmp_path / "blob")


def test_missing_image_says_so(local_registry, tmp_path):
    with pytest.raises(PullError, match="answered 404"):
        pull(f"127.0.0.1:{local_registry}/test/nothing:v1", str(tmp_path), lambda line: None)


def test_a_private_registry_takes_credentials(private_registry, tmp_path):
    pusher = reg.Pusher(private_registry, "team/private", auth=("alice", "s3cret"))
    pusher.image("v1", [reg.tar_layer({"secret.txt": b"only for alice"})])
    ref = f"127.0.0.1:{private_registry}/team/private:v1"
    with pytest.raises(PullError, match="it needs credentials; pass secret="):
        pull(ref, str(tmp_path / "a"), lambda line: None)
    with pytest.raises(PullError, match="wrong credentials"):
        pull(ref, str(tmp_path / "b"), lambda line: None, ("alice", "guess"))
    diffs, _, _, _ = pull(ref, str(tmp_path / "c"), lambda line: None, ("alice", "s3cret"))
    with open(os.path.join(diffs[0], "secret.txt")) as f:
        assert f.read() == "only for alice"


def test_layers_cannot_link_or_write_outside_themselves(tmp_path):
    import io
    import tarfile

    from leveret.worker.images.registry import unpack_layer

    def layer(*members):
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w") as tar:
            for m in members:
                tar.addfile(m)
        path = tmp_path / f"layer{len(list(tmp_path.iterdir()))}.tar"
        path.write_bytes(raw.getvalue())
        return str(path)

    link = tarfile.TarInfo("shadow")
    link.type, link.linkname = tarfile.LNKTYPE, "../../../../etc/shadow"
    with pytest.raises(Exception, match="outside|leaves|absolute"):
        unpack_layer(layer(link), reg.TAR, str(tmp_path / "d1"))
    opaque = tarfile.TarInfo("../../escape/.wh..wh..opq")
    with pytest.raises(Exception, match="outside|leaves"):
        unpack_layer(layer(opaque), reg.TAR, str(tmp_path / "d2"))
    assert not (tmp_path.parent / "escape").exists()
