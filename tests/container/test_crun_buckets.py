"""CloudBucketMount in real crun containers, against a real S3-compatible server (moto's, started
here on a free loopback port): an object is read as a file and a file written lands in the bucket;
read-only, key_prefix and anonymous (public bucket) mounts; the credentials stay out of the
container's environment; a bucket that cannot be mounted fails the start naming it and s3fs's
reason; the mounts go when their containers end."""

import importlib
import os
import shutil
import socket
import subprocess
import sys
import time

import pytest
from _needs import missing
from crun import crun_cluster_running
from procs import free_port

import leveret
from apps import bucket_user

pytestmark = pytest.mark.container


def _wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"moto's server exited with code {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"moto's server did not listen on 127.0.0.1:{port} within {timeout:g} s")


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    """moto's S3 server on 127.0.0.1 with the test's buckets: yields (endpoint URL, a boto3 client)."""
    if shutil.which("s3fs") is None:
        missing("s3fs is not installed (apt-get install s3fs): the worker mounts cloud buckets with it")
    if not os.path.exists("/dev/fuse"):
        missing("this machine has no /dev/fuse: s3fs mounts buckets through FUSE")
    moto = os.path.join(os.path.dirname(sys.executable), "moto_server")
    if not os.path.exists(moto):
        missing("moto's server is not installed (pip install 'moto[server]', the test extra has it)")
    import boto3

    port = free_port()
    log = open(tmp_path_factory.mktemp("moto") / "moto.log", "wb")
    proc = subprocess.Popen([moto, "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for_port(port, proc)
        url = f"http://127.0.0.1:{port}"
        client = boto3.client("s3", endpoint_url=url, region_name="us-east-1",
                              aws_access_key_id=bucket_user.KEYS["AWS_ACCESS_KEY_ID"],
                              aws_secret_access_key=bucket_user.KEYS["AWS_SECRET_ACCESS_KEY"])
        client.create_bucket(Bucket=bucket_user.BUCKET)
        client.put_object(Bucket=bucket_user.BUCKET, Key="hello.txt", Body=b"hi from S3")
        client.put_object(Bucket=bucket_user.BUCKET, Key="dir/inner.txt", Body=b"inside the prefix")
        client.create_bucket(Bucket=bucket_user.PUBLIC_BUCKET, ACL="public-read")
        client.put_object(Bucket=bucket_user.PUBLIC_BUCKET, Key="open.txt", Body=b"for anyone", ACL="public-read")
        yield url, client
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


@pytest.fixture(scope="module")
def crun_cluster(tmp_path_factory, s3):
    before = os.environ.get("LEVERET_TEST_S3_ENDPOINT")
    os.environ["LEVERET_TEST_S3_ENDPOINT"] = s3[0]
    try:
        importlib.reload(bucket_user)
        yield from crun_cluster_running(tmp_path_factory, "crun-buckets", bucket_user.app)
    finally:
        if before is None:
            os.environ.pop("LEVERET_TEST_S3_ENDPOINT", None)
        else:
            os.environ["LEVERET_TEST_S3_ENDPOINT"] = before


def get(client, key: str) -> bytes:
    return client.get_object(Bucket=bucket_user.BUCKET, Key=key)["Body"].read()


def test_an_object_is_read_as_a_file_and_a_file_written_lands_in_the_bucket(crun_cluster, s3):
    _, client = s3
    assert bucket_user.files.remote("hello.txt") == "hi from S3"
    assert bucket_user.files.remote("nothing-here.txt") is None
    listing = bucket_user.files.remote("out/new.txt", "from a container")
    assert {"hello.txt", "dir", "out"} <= set(listing)
    assert get(client, "out/new.txt") == b"from a container"
    client.put_object(Bucket=bucket_user.BUCKET, Key="later.txt", Body=b"put after the mount")
    assert bucket_user.files.remote("later.txt") == "put after the mount"


def test_read_only_and_key_prefix_mounts_and_no_credentials_in_the_environment(crun_cluster, s3):
    _, client = s3
    seen = bucket_user.views.remote()
    assert seen["ro_write"] == "EROFS"
    assert "hello.txt" in seen["ro"] and "nope.txt" not in seen["ro"]
    assert seen["dir"] == ["from-prefix.txt", "inner.txt"]
    assert get(client, "dir/from-prefix.txt") == b"under the prefix"
    assert "nope.txt" not in {o["Key"] for o in client.list_objects_v2(Bucket=bucket_user.BUCKET)["Contents"]}
    assert seen["keys_in_env"] == []


def test_a_public_bucket_is_mounted_without_credentials(crun_cluster):
    assert bucket_user.read_public.remote("open.txt") == "for anyone"


def test_a_bucket_that_cannot_be_mounted_fails_the_start_naming_it_and_why(crun_cluster):
    with pytest.raises(leveret.exception.ExecutionError,
                       match="(?s)could not start: cloud bucket 'leveret-no-such-bucket'.*NoSuchBucket"):
        bucket_user.missing.remote()


def test_the_mounts_go_when_their_container_ends(crun_cluster):
    from leveret.worker.buckets import mount_points

    bucket_user.files.remote("hello.txt")
    ours = [c.container_id for c in crun_cluster.containers("bucket-user") if c.function_name == "files"]
    root = os.path.join(crun_cluster.directory, "worker", "buckets")
    assert ours and all(mount_points(os.path.join(root, ct)) for ct in ours)
    for ct in ours:
        crun_cluster.stop_container(ct)
    crun_cluster.wait_for(lambda d: not set(ours) & {c.container_id for c in crun_cluster.containers("bucket-user")},
                          timeout=30)
    deadline = time.monotonic() + 10
    while any(os.path.exists(os.path.join(root, ct)) for ct in ours) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [ct for ct in ours if mount_points(os.path.join(root, ct)) or os.path.exists(os.path.join(root, ct))]
