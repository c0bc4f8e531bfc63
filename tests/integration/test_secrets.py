"""Secrets through a real server, worker and containers: named ones made with Secret.objects.create,
ones given with from_dict, both sealed in the store; a function gets them as its environment; a
missing one fails the run before anything starts; the key rotates."""

import glob
import hashlib
import os
import secrets as random

import pytest

import leveret
from leveret.server.store import Store


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def reader(app, secrets):
    """A function of ``app`` returning the sha256 of each variable it is asked for (defined here, so
    it travels by value; the values stay out of its code)."""
    def reads_env(*names):
        import hashlib as h
        import os as o

        return [h.sha256(o.environ[n].encode()).hexdigest() if n in o.environ else None for n in names]

    return app.function(serialized=True, secrets=secrets)(reads_env)


def read(path: str) -> str:
    with open(path) as f:
        return f.read()


def stored_bytes(cluster) -> bytes:
    """Every byte of the server's database (and its write-ahead log)."""
    data = b""
    for path in glob.glob(cluster.db + "*"):
        with open(path, "rb") as f:
            data += f.read()
    return data


def test_named_and_given_secrets_reach_the_function_and_never_the_store(cluster, capfd):
    named_value, given_value = "nv-" + random.token_hex(12), "gv-" + random.token_hex(12)
    name = "api-" + random.token_hex(4)
    leveret.Secret.objects.create(name, {"API_KEY": named_value, "SHARED": "from-named"})
    app = leveret.App("secrets-" + random.token_hex(3))
    f = reader(app, [
        leveret.Secret.from_name(name, required_keys=["API_KEY"]),
        leveret.Secret.from_dict({"GIVEN": given_value, "SHARED": "from-given"})])
    with app.run():
        assert f.remote("API_KEY", "GIVEN", "SHARED") == [sha(named_value), sha(given_value), sha("from-given")]
    cluster.server.dispatcher.writes.store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = stored_bytes(cluster)
    assert named_value.encode() not in data and given_value.encode() not in data
    assert b"API_KEY" in data   # its keys are listed; its values are sealed
    out, err = capfd.readouterr()
    assert named_value not in out + err and given_value not in out + err
    [listed] = [s for s in leveret.Secret.objects.list() if s.name == name]
    assert listed.keys == ["API_KEY", "SHARED"] and listed.object_id.startswith("st-")


def test_a_missing_secret_or_key_fails_the_run_before_anything_starts(cluster):
    app = leveret.App("secrets-missing")
    f = reader(app, [leveret.Secret.from_name("no-such-secret")])
    with pytest.raises(leveret.exception.NotFoundError, match="no Secret named 'no-such-secret'.*leveret secret create"):
        with app.run():
            f.remote("X")
    leveret.Secret.objects.create("has-one-key", {"A": "1"}, allow_existing=True)
    app2 = leveret.App("secrets-missing-key")
    g = reader(app2, [leveret.Secret.from_name("has-one-key", required_keys=["A", "B"])])
    with pytest.raises(leveret.exception.NotFoundError, match="Secret 'has-one-key' has no B"):
        with app2.run():
            g.remote("A")
    assert not [a for a in cluster.server.dispatcher.apps.values() if a.name in ("secrets-missing", "secrets-missing-key")
                and a.functions and any(fn.containers for fn in a.functions)]


def test_a_secret_created_again_needs_overwrite_and_its_new_values_reach_new_runs(cluster):
    name = "rotating-" + random.token_hex(4)
    leveret.Secret.objects.create(name, {"V": "one"})
    with pytest.raises(leveret.exception.AlreadyExistsError, match="--force"):
        leveret.Secret.objects.create(name, {"V": "two"})
    leveret.Secret.objects.create(name, {"V": "two"}, allow_existing=True)   # kept, as Modal's
    app = leveret.App("secrets-again")
    f = reader(app, [leveret.Secret.from_name(name)])
    with app.run():
        assert f.remote("V") == [sha("one")]
    leveret.Secret.objects.delete(name)
    with pytest.raises(leveret.exception.NotFoundError):
        with app.run():
            f.remote("V")


def test_the_key_rotates_and_secrets_still_open(cluster):
    name = "kept-" + random.token_hex(4)
    leveret.Secret.objects.create(name, {"K": "kept-value"})
    key_file = os.path.join(os.path.dirname(cluster.db), "secret.key")
    assert os.stat(key_file).st_mode & 0o777 == 0o600
    before = read(key_file)
    kids = cluster.stored(Store.secret_key_ids)
    from leveret._wire import api_pb2 as pb
    from leveret._client import Client
    from leveret._shared.aio import run_sync

    async def rotate():
        return await (await Client.get()).call("SecretRotateKey", pb.SecretRotateKeyRequest())

    resp = run_sync(rotate())
    assert resp.secrets >= 1 and read(key_file) != before
    assert cluster.stored(Store.secret_key_ids) == {resp.key_id} != kids
    assert not os.path.exists(key_file + ".new") and not os.path.exists(key_file + ".old")
    cluster.server.dispatcher.secrets.opened.clear()   # opened again, under the new key
    app = leveret.App("secrets-rotated")
    f = reader(app, [leveret.Secret.from_name(name)])
    with app.run():
        assert f.remote("K") == [sha("kept-value")]


def test_a_named_secrets_info_and_keys(cluster):
    leveret.Secret.objects.create("with-info", {"B": "2", "A": "1"}, allow_existing=True)
    s = leveret.Secret.from_name("with-info")
    assert s.info().name == "with-info" and s.keys == ["A", "B"]
    assert leveret.Secret.from_dict({"X": "1"}).keys == ["X"]
