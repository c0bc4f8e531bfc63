"""``CloudBucketMount``: an S3-compatible bucket as a directory of a function's containers, as Modal's.

    creds = leveret.Secret.from_name("s3-creds", required_keys=["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"])
    @app.function(volumes={"/bucket": leveret.CloudBucketMount("my-bucket", secret=creds)})
    @app.function(volumes={"/data": leveret.CloudBucketMount("my-bucket", bucket_endpoint_url="https://minio.lan:9000",
                                                              key_prefix="datasets/", secret=creds, read_only=True)})

The worker that runs a container mounts the bucket with s3fs (FUSE) on its own host and binds that
directory into the container: the container itself needs no tools and never sees the credentials.
"""

from __future__ import annotations

from .exception import InvalidError, NotImplementedOptionError

CREDENTIAL_KEYS = (("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"), ("GOOGLE_ACCESS_KEY_ID", "GOOGLE_ACCESS_KEY_SECRET"))
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_")


class CloudBucketMount:
    """A bucket of AWS S3 or of an S3-compatible store (Cloudflare R2, Google Cloud Storage with HMAC
    keys, MinIO, Ceph, ...) mounted at a path of a function's containers: ``volumes={"/b": mount}``.

    - ``bucket_name``: the bucket; ``bucket_endpoint_url``: the store's URL (None: AWS S3). With an
      endpoint URL requests are path-style (``URL/bucket/key``), which S3-compatible stores take; with
      AWS S3 they are virtual-hosted unless ``force_path_style=True``.
    - ``key_prefix``: mount only the objects under this prefix; it ends with "/" (``"data/2024/"``).
    - ``secret``: a Secret with ``AWS_ACCESS_KEY_ID`` and ``AWS_SECRET_ACCESS_KEY`` (optionally
      ``AWS_REGION`` and ``AWS_SESSION_TOKEN``; Google's HMAC keys as ``GOOGLE_ACCESS_KEY_ID`` and
      ``GOOGLE_ACCESS_KEY_SECRET``). Without one the bucket is read anonymously (a public bucket).
      The credentials go to the worker that mounts the bucket, never into the container's
      environment: list the secret in ``secrets=`` too if the function's code needs them.
    - ``read_only``: writes fail (EROFS).

    What it does: each container of the function mounts the bucket when it starts (a bucket that
    cannot be mounted — missing, refused, unreachable — fails the container's start, naming it and
    the reason) and unmounts it when it ends. A file written is uploaded when it is closed. What it
    does not do: it is not a POSIX file system (a rename is a copy and a delete, nothing is locked,
    two containers writing one object last-writer-wins, listings may lag writes made elsewhere), and
    a worker running containers without isolation (the process runtime) refuses it.
    ``oidc_auth_role_arn`` and ``requester_pays`` are not supported: setting them raises
    NotImplementedOptionError.
    """

    __slots__ = ("bucket_name", "bucket_endpoint_url", "key_prefix", "secret", "oidc_auth_role_arn", "read_only",
                 "requester_pays", "force_path_style")

    def __init__(self, bucket_name: str, bucket_endpoint_url: str | None = None, key_prefix: str | None = None,
                 secret=None, oidc_auth_role_arn: str | None = None, read_only: bool = False,
                 requester_pays: bool = False, force_path_style: bool = False):
        if oidc_auth_role_arn is not None:
            raise NotImplementedOptionError(
                "CloudBucketMount(oidc_auth_role_arn=...) is not supported yet: give the bucket's credentials as a"
                " Secret with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (secret=...) instead")
        if requester_pays:
            raise NotImplementedOptionError(
                "CloudBucketMount(requester_pays=True) is not supported yet: mount a bucket whose owner pays for"
                " its requests, or remove requester_pays=")
        if not isinstance(bucket_name, str) or not bucket_name or not set(bucket_name) <= _NAME_CHARS:
            raise InvalidError(f"CloudBucketMount: bucket_name={bucket_name!r} must be a bucket's name (letters, digits,"
                               " '.', '-', '_'), e.g. 'my-bucket' — not a URL or an ARN")
        if bucket_endpoint_url is not None:
            url = bucket_endpoint_url
            if (not isinstance(url, str) or not url.startswith(("http://", "https://"))
                    or len(url.split("://", 1)[1].strip("/")) == 0 or any(c.isspace() or c == "," for c in url)):
                raise InvalidError(f"CloudBucketMount: bucket_endpoint_url={url!r} must be the store's http:// or"
                                   " https:// URL, e.g. 'https://<account>.r2.cloudflarestorage.com'")
        if key_prefix is not None:
            if not isinstance(key_prefix, str) or (key_prefix and not key_prefix.endswith("/")):
                raise InvalidError(f"CloudBucketMount: key_prefix={key_prefix!r} is put before every object's key,"
                                   " so it must end in a '/', e.g. key_prefix='data/'")
            if key_prefix.startswith("/") or "//" in key_prefix:
                raise InvalidError(f"CloudBucketMount: key_prefix={key_prefix!r}: a prefix neither starts with '/'"
                                   " nor has an empty part ('//'), e.g. key_prefix='data/2024/'")
        from .secret import Secret

        if secret is not None and not isinstance(secret, Secret):
            raise InvalidError(f"CloudBucketMount: secret= takes a leveret.Secret with AWS_ACCESS_KEY_ID and"
                               f" AWS_SECRET_ACCESS_KEY, not {secret!r}")
        for option, value in (("read_only", read_only), ("force_path_style", force_path_style)):
            if not isinstance(value, bool):
                raise InvalidError(f"CloudBucketMount: {option} must be True or False, not {value!r}")
        self.bucket_name = bucket_name
        self.bucket_endpoint_url = bucket_endpoint_url
        self.key_prefix = key_prefix or None
        self.secret = secret
        self.oidc_auth_role_arn = None
        self.read_only = read_only
        self.requester_pays = False
        self.force_path_style = force_path_style

    def _values(self) -> tuple:
        return tuple(getattr(self, k) for k in self.__slots__)

    def __eq__(self, other) -> bool:
        return isinstance(other, CloudBucketMount) and self._values() == other._values()

    def __hash__(self) -> int:
        return hash((self.bucket_name, self.bucket_endpoint_url, self.key_prefix, self.read_only))

    def __repr__(self) -> str:   # the secret's repr names its keys, never its values
        shown = [repr(self.bucket_name)] + [f"{k}={getattr(self, k)!r}" for k in self.__slots__[1:]
                                            if getattr(self, k) not in (None, False)]
        return f"CloudBucketMount({', '.join(shown)})"

    async def _secret_id(self, client) -> str:
        """Its secret's id on ``client``'s server ("": none), once it is known to hold credentials
        (one given here is checked before it is stored; a named one as the server describes it)."""
        if self.secret is None:
            return ""
        if not self.secret._name:
            self._check_keys(self.secret._env)
        secret_id, found = await self.secret._resolve(client)
        if self.secret._name:
            self._check_keys(found.get("_attributes", {}).get("keys", ()))
        return secret_id

    def _check_keys(self, keys) -> None:
        keys = set(keys)
        if not any(a in keys and b in keys for a, b in CREDENTIAL_KEYS):
            raise InvalidError(f"CloudBucketMount({self.bucket_name!r}): its secret {self.secret!r} has no"
                               " AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY: add them, or mount a public bucket"
                               " without secret=")
