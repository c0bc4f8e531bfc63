"""CloudBucketMount: its options checked where it is made and where the function is defined; its
secret's values reach only the worker that mounts it (never a stored definition, never the container's
environment); the s3fs command the worker runs (credentials in its environment only); s3fs's words
made into a failure's reason."""

import asyncio

import pytest

import leveret
from leveret import App
from leveret._wire import api_pb2 as pb
from leveret.cloud_bucket_mount import CloudBucketMount
from leveret.exception import InvalidError, NotImplementedOptionError
from leveret.worker import convert
from leveret.worker import model as m
from leveret.worker.buckets import BucketError, s3fs_command, said
from leveret.worker.task_runner import ContainerTask

KEYS = {"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "very-secret"}


def square(x):
    return x * x


def test_it_is_a_public_name_and_a_module_as_modals():
    from leveret.cloud_bucket_mount import CloudBucketMount as FromModule

    assert leveret.CloudBucketMount is FromModule
    mount = CloudBucketMount("b", "http://s3.lan:9000", "data/", leveret.Secret.from_dict(KEYS), read_only=True)
    assert (mount.bucket_name, mount.bucket_endpoint_url, mount.key_prefix, mount.read_only) == (
        "b", "http://s3.lan:9000", "data/", True)
    assert "very-secret" not in repr(mount) and "AWS_ACCESS_KEY_ID" in repr(mount)
    assert mount == CloudBucketMount("b", "http://s3.lan:9000", "data/", mount.secret, read_only=True)


@pytest.mark.parametrize("kwargs, error, said_", [
    ({"key_prefix": "data"}, InvalidError, "must end in a '/'"),
    ({"key_prefix": "/data/"}, InvalidError, "neither starts with '/'"),
    ({"key_prefix": "a//b/"}, InvalidError, "an empty part"),
    ({"bucket_endpoint_url": "s3.lan:9000"}, InvalidError, "http:// or https:// URL"),
    ({"bucket_endpoint_url": "http://a,passwd_file=/etc/x"}, InvalidError, "http:// or https:// URL"),
    ({"bucket_endpoint_url": "https://"}, InvalidError, "http:// or https:// URL"),
    ({"secret": {"AWS_ACCESS_KEY_ID": "x"}}, InvalidError, "takes a leveret.Secret"),
    ({"read_only": "yes"}, InvalidError, "read_only must be True or False"),
    ({"oidc_auth_role_arn": "arn:aws:iam::1:role/r"}, NotImplementedOptionError, "oidc_auth_role_arn=.*not supported"),
    ({"requester_pays": True}, NotImplementedOptionError, "requester_pays=True.*not supported"),
])
def test_options_are_checked_where_it_is_made(kwargs, error, said_):
    with pytest.raises(error, match=said_):
        CloudBucketMount("my-bucket", **kwargs)


@pytest.mark.parametrize("name", ["", "s3://my-bucket", "arn:aws:s3:::b", "a/b", 3])
def test_a_bucket_is_named_by_its_name(name):
    with pytest.raises(InvalidError, match="must be a bucket's name"):
        CloudBucketMount(name)


@pytest.mark.parametrize("volumes, said_", [
    ({"bucket": CloudBucketMount("b")}, "paths are absolute"),
    ({"/etc/b": CloudBucketMount("b")}, "the container's system is there"),
    ({"/data": leveret.Volume.from_name("v"), "/data/b": CloudBucketMount("b")}, "one is inside the other"),
])
def test_bucket_mounts_are_checked_as_volumes_where_the_function_is_defined(volumes, said_):
    with pytest.raises(InvalidError, match=said_):
        App("t").function(volumes=volumes)(square)


def test_volumes_and_buckets_mount_side_by_side():
    vol, bucket = leveret.Volume.from_name("v"), CloudBucketMount("b", read_only=True)
    f = App("t", volumes={"/shared": bucket}).function(volumes={"/data": vol})(square)
    assert f._options.volumes == (("/data", vol), ("/shared", bucket))
    with pytest.raises(InvalidError, match="or a leveret.CloudBucketMount"):
        App("t").function(volumes={"/b": "my-bucket"})(square)


class FakeClient:
    """What a Secret's resolution asks of a client: SecretCreate, answered with an id."""

    def __init__(self):
        self.created = []

    async def object_call(self, method, fields):
        self.created.append(fields["env"])
        return {"secret_id": "st-1", "keys": sorted(fields["env"])}


def test_its_secret_goes_by_id_once_it_is_known_to_hold_credentials():
    client = FakeClient()
    assert asyncio.run(_secret_id(CloudBucketMount("b"), client)) == ""
    mount = CloudBucketMount("b", secret=leveret.Secret.from_dict(KEYS))
    assert asyncio.run(_secret_id(mount, client)) == "st-1"
    wrong = CloudBucketMount("b", secret=leveret.Secret.from_dict({"TOKEN": "x"}))
    with pytest.raises(InvalidError, match="has no AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"):
        asyncio.run(_secret_id(wrong, client))
    assert client.created == [KEYS]   # the one without credentials was not stored


async def _secret_id(mount, client):
    return await mount._secret_id(client)


# ------------------------------------------------------------------ the server: its secret's values


def test_the_server_gives_the_buckets_credentials_to_its_assignment_only(tmp_path):
    from _server import dispatcher
    from test_dispatcher_rules import told

    from leveret.server.api.convert import function_spec
    from leveret.server.model import WorkerInfo
    from leveret.server.store import Store
    from leveret.testing import FakeClock

    async def main():
        d = dispatcher(clock=FakeClock(1_800_000_000.0), secret_key_dir=str(tmp_path))
        outbox = asyncio.Queue()
        d.registry.add(WorkerInfo(hostname="a", cpu=4, memory_mb=8192, max_containers=8), outbox)
        bucket_secret, _ = await d.writes.run(d.secrets.create, "", "main", KEYS)
        env_secret, _ = await d.writes.run(d.secrets.create, "", "main", {"API_KEY": "k"})
        app_id, _ = await d.create_app("a", "")
        definition = pb.FunctionDefinition(name="uses", secret_ids=[env_secret], bucket_mounts=[
            pb.BucketMount(path="/b", bucket_name="b", endpoint_url="http://s3.lan", secret_id=bucket_secret),
            pb.BucketMount(path="/pub", bucket_name="pub", read_only=True)])
        spec = function_spec(definition)
        assert spec.all_secret_ids == (env_secret, bucket_secret)
        await d.reads.run(d.secrets.load, spec.all_secret_ids)
        fn = d.create_function(app_id, spec)
        d.new_call(fn, "spawn", [(0, b"x", "")], 1)
        (start,) = told(outbox, "start")
        assert dict(start.definition.secret_env) == {"API_KEY": "k"}   # its container's environment: not the bucket's
        assert dict(start.definition.bucket_mounts[0].secret_env) == KEYS
        assert not start.definition.bucket_mounts[1].secret_env
        await d.writes.durable()
        for _, _, stored in await d.reads.run(Store.functions_of, app_id):
            assert b"very-secret" not in stored   # the stored definition names the secret only
        await d.close_store()

    asyncio.run(main())


# ------------------------------------------------------------------ the worker


def bucket(**fields) -> m.BucketMount:
    return m.BucketMount(**{"path": "/b", "bucket_name": "bkt", "endpoint_url": "http://127.0.0.1:9000", **fields})


def test_an_assignment_keeps_its_bucket_mounts_and_never_shows_their_credentials():
    d = pb.FunctionDefinition(name="f", bucket_mounts=[pb.BucketMount(
        path="/b", bucket_name="bkt", endpoint_url="http://s3.lan", key_prefix="p/", read_only=True,
        force_path_style=True, secret_env=KEYS)])
    got = convert.definition(d)
    assert got.bucket_mounts == (m.BucketMount("/b", "bkt", "http://s3.lan", "p/", True, True, KEYS),)
    assert got.bucket_mounts[0].secret_env == KEYS
    assert "very-secret" not in repr(got)
    assert not ContainerTask.can_be_warm(got) and ContainerTask.can_be_warm(m.Definition(name="f"))


def test_s3fs_gets_the_credentials_in_its_environment_never_in_its_argv():
    argv, env = s3fs_command(bucket(secret_env={**KEYS, "AWS_REGION": "eu-west-1", "OTHER": "x"}), "/w/buckets/ct/0")
    assert argv[:4] == ["s3fs", "bkt", "/w/buckets/ct/0", "-f"]
    options = [argv[i + 1] for i, a in enumerate(argv) if a == "-o"]
    assert {"url=http://127.0.0.1:9000", "use_path_request_style", "endpoint=eu-west-1"} <= set(options)
    assert "ro" not in options and "public_bucket=1" not in options
    assert not any("very-secret" in a or "AKID" in a for a in argv)
    assert env["AWSACCESSKEYID"] == "AKID" and env["AWSSECRETACCESSKEY"] == "very-secret"
    assert set(env) == {"PATH", "AWSACCESSKEYID", "AWSSECRETACCESSKEY"}


def test_s3fs_options_for_a_prefix_read_only_anonymous_and_aws():
    argv, env = s3fs_command(bucket(key_prefix="data/2024/", read_only=True), "/d")
    options = [argv[i + 1] for i, a in enumerate(argv) if a == "-o"]
    assert argv[1] == "bkt:/data/2024" and {"ro", "public_bucket=1"} <= set(options)
    assert set(env) == {"PATH"}
    argv, _ = s3fs_command(bucket(endpoint_url="", secret_env=KEYS), "/d")
    options = [argv[i + 1] for i, a in enumerate(argv) if a == "-o"]
    assert "url=https://s3.amazonaws.com" in options and "use_path_request_style" not in options
    argv, _ = s3fs_command(bucket(endpoint_url="", force_path_style=True, secret_env=KEYS), "/d")
    assert "use_path_request_style" in argv
    _, env = s3fs_command(bucket(secret_env={"GOOGLE_ACCESS_KEY_ID": "g", "GOOGLE_ACCESS_KEY_SECRET": "gs"}), "/d")
    assert (env["AWSACCESSKEYID"], env["AWSSECRETACCESSKEY"]) == ("g", "gs")


@pytest.mark.parametrize("fields, said_", [
    ({"secret_env": {"TOKEN": "x"}}, "its secret has no AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY .it has TOKEN"),
    ({"endpoint_url": "http://a,passwd_file=/x"}, "is not an http:// or https:// URL"),
    ({"bucket_name": "b:/etc"}, "not a bucket's name"),
    ({"key_prefix": "/x/"}, "must end in '/' and not start with one"),
    ({"secret_env": {**KEYS, "AWS_REGION": "eu,ro"}}, "not a region's name"),
])
def test_the_worker_checks_a_mount_again_and_names_the_bucket(fields, said_):
    with pytest.raises(BucketError, match=f"cloud bucket '{fields.get('bucket_name', 'bkt')}'.*{said_}"):
        s3fs_command(bucket(**fields), "/d")


def test_what_s3fs_said_becomes_a_failures_reason():
    lines = [
        "2026-12-02T22:05:25.816Z [INF] s3fs version 1.90(unknown) : s3fs -f -o url=http://127.0.0.1:5599 nosuch /d",
        "2026-12-02T22:05:25.816Z [CRT] s3fs_logger.cpp:LowSetLogLevel(240): change debug level from [CRT] to [ERR] ",
        "2026-12-02T22:05:25.824Z [ERR] curl.cpp:CheckBucket(3421): Check bucket failed, S3 response: <?xml version=\"1.0\""
        " encoding=\"utf-8\"?>",
        "<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message><BucketName>nosuch"
        "</BucketName><RequestId>abc</RequestId></Error>",
        "2026-12-02T22:05:25.824Z [CRT] s3fs.cpp:s3fs_check_service(3593): bucket or key not found(host=http://x) - result"
        " of checking service.",
    ]
    assert said(lines) == ("Check bucket failed, S3 response: NoSuchBucket: The specified bucket does not exist bucket or"
                           " key not found(host=http://x) - result of checking service.")
    assert said(["2026-12-02T22:05:25.816Z [INF] s3fs version 1.90"]) == ""
