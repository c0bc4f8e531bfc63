"""Functions that mount an S3 bucket (tests/container/test_crun_buckets.py, against moto's server):
they read and write its objects as files, through a read-only mount, a key_prefix mount, an
anonymous mount of a public bucket, and one of a bucket that is not there."""

import errno
import os

import leveret

# The tests start the S3 server on a free port and reload this module with its URL.
ENDPOINT = os.environ.get("LEVERET_TEST_S3_ENDPOINT", "http://127.0.0.1:9")
BUCKET = "leveret-test-bucket"
PUBLIC_BUCKET = "leveret-test-public"
KEYS = {"AWS_ACCESS_KEY_ID": "leveret-test-key", "AWS_SECRET_ACCESS_KEY": "leveret-test-secret-value"}

app = leveret.App("bucket-user")
creds = leveret.Secret.from_dict(KEYS)
MOUNTS = {
    "/bucket": leveret.CloudBucketMount(BUCKET, bucket_endpoint_url=ENDPOINT, secret=creds),
    "/ro": leveret.CloudBucketMount(BUCKET, bucket_endpoint_url=ENDPOINT, secret=creds, read_only=True),
    "/dir": leveret.CloudBucketMount(BUCKET, bucket_endpoint_url=ENDPOINT, secret=creds, key_prefix="dir/"),
}


@app.function(volumes=MOUNTS)
def files(path: str, text: str | None = None):
    """The text of /bucket/<path> (None if there is none), or with ``text`` write it there and list /bucket."""
    full = os.path.join("/bucket", path)
    if text is None:
        return open(full).read() if os.path.exists(full) else None
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as f:
        f.write(text)
    return sorted(os.listdir("/bucket"))


@app.function(volumes=MOUNTS)
def views() -> dict:
    """What the read-only and the prefix mounts show, whether the read-only one refuses writes, and
    whether the bucket's credentials reached the container's environment."""
    try:
        with open("/ro/nope.txt", "w") as f:
            f.write("x")
        ro_write = "written"
    except OSError as exc:
        ro_write = errno.errorcode.get(exc.errno, str(exc.errno))
    with open("/dir/from-prefix.txt", "w") as f:   # lands at dir/from-prefix.txt in the bucket
        f.write("under the prefix")
    return {"ro": sorted(os.listdir("/ro")), "dir": sorted(os.listdir("/dir")), "ro_write": ro_write,
            "keys_in_env": sorted(k for k in os.environ if k.startswith("AWS") or KEYS["AWS_SECRET_ACCESS_KEY"] in os.environ[k])}


@app.function(volumes={"/public": leveret.CloudBucketMount(PUBLIC_BUCKET, bucket_endpoint_url=ENDPOINT, read_only=True)})
def read_public(path: str) -> str:
    return open(os.path.join("/public", path)).read()


@app.function(volumes={"/missing": leveret.CloudBucketMount("leveret-no-such-bucket", bucket_endpoint_url=ENDPOINT,
                                                            secret=creds)})
def missing() -> str:
    return "mounted"
