"""Named objects through a real in-process server and the SDK's base (leveret._object): a kind this
test registers on the server ("thing", ids tt-) with its SDK type, and deployed apps, the kind
the server has today."""

import asyncio
import datetime

import pytest

import leveret
from leveret._shared import ids as _ids
from leveret._client import Client
from leveret._object import _Object
from leveret._shared.aio import run_sync
from leveret._wire import api_pb2 as pb
from leveret.server.objects import KINDS, Kind
from leveret.server.store import Store
from leveret.server.store.objects import ObjectRow
from leveret.testing import Cluster

RULE = "names are letters, digits, '-', '_' and '.', at most 64 characters"


class Thing(_Object, kind="thing", type_prefix="tt"):
    """What a Dict or a Volume will be, less its data."""


class DeployedApp(_Object, kind="app", type_prefix="dp"):
    """Deployed apps seen through the same base."""


@pytest.fixture
def deleted(monkeypatch):
    removed = []
    monkeypatch.setitem(KINDS, "thing", Kind("thing", "tt", "Thing", on_delete=lambda store, row: removed.append(row.name)))
    monkeypatch.setitem(_ids.KINDS, "tt", "thing")
    return removed


@pytest.fixture
def cluster(tmp_path, deleted):
    with Cluster(tmp_path, start_worker=False) as c:
        yield c


def test_from_name_is_lazy_and_create_if_missing_makes_it_once(cluster):
    handle = Thing.from_name("cache", create_if_missing=True)
    assert (handle.object_id, handle.is_hydrated, repr(handle)) == (None, False, "Thing.from_name('cache')")
    assert cluster.stored(Store.get_object, "thing", "main", "cache") is None   # nothing asked yet
    assert handle.hydrate() is handle
    assert handle.object_id.startswith("tt-") and handle.name == "cache"
    assert repr(handle) == f"Thing.from_name('cache') ({handle.object_id})"
    assert cluster.stored(Store.get_object, "thing", "main", "cache").id == handle.object_id

    async def both():   # the async form, twice at once: one object
        return await asyncio.gather(Thing.from_name("cache", create_if_missing=True).hydrate.aio(),
                                    Thing.from_name("cache").hydrate.aio())

    assert {t.object_id for t in asyncio.run(both())} == {handle.object_id}


def test_a_missing_one_is_not_found_and_the_error_names_the_fix(cluster):
    with pytest.raises(leveret.NotFoundError) as info:
        Thing.from_name("nope").hydrate()
    assert str(info.value) == ("no Thing named 'nope' in environment 'main': create it with"
                               " Thing.from_name('nope', create_if_missing=True)")
    with pytest.raises(leveret.NotFoundError, match=r"no environment named 'dev' \(there are: main\): `leveret environment create dev`"):
        Thing.from_name("nope", environment_name="dev", create_if_missing=True).hydrate()


def test_create_twice_is_already_exists_unless_allowed(cluster):
    assert Thing.objects.create("cache") is None
    with pytest.raises(leveret.AlreadyExistsError) as info:
        Thing.objects.create("cache")
    assert str(info.value) == ("a Thing named 'cache' already exists in environment 'main': use it with"
                               " Thing.from_name('cache'), or delete it first with Thing.objects.delete('cache')")
    assert isinstance(info.value, leveret.Error)
    Thing.objects.create("cache", allow_existing=True)
    run_sync(Thing.objects.create.aio("other", environment_name="main"))
    assert sorted(t.name for t in Thing.objects.list()) == ["cache", "other"]


def test_list_is_newest_first_with_a_limit_and_a_date(cluster):
    for name in ("a", "b", "c"):
        Thing.objects.create(name)
    listed = Thing.objects.list()
    assert [t.name for t in listed] == ["c", "b", "a"]
    assert all(t.is_hydrated and t.object_id.startswith("tt-") for t in listed)
    assert [t.name for t in Thing.objects.list(max_objects=2)] == ["c", "b"]
    assert Thing.objects.list(max_objects=0) == []
    assert Thing.objects.list(created_before="2000-01-01") == []
    tomorrow = datetime.datetime.now() + datetime.timedelta(days=1)
    assert len(Thing.objects.list(created_before=tomorrow)) == 3
    with pytest.raises(leveret.InvalidError, match="max_objects must be an int >= 0"):
        Thing.objects.list(max_objects=-1)
    with pytest.raises(leveret.NotFoundError, match="no environment named 'dev'"):
        Thing.objects.list(environment_name="dev")


def test_a_list_longer_than_a_page_comes_whole(cluster):
    def make(store):   # all made at one time, over three pages: each page follows on by id
        for i in range(230):
            store.create_object(ObjectRow(f"tt-{i:016x}", "thing", "main", f"n{i}", 1_000.0))

    async def stored():
        await cluster.dispatcher.writes.run(make)

    run_sync(stored())
    listed = Thing.objects.list()
    assert len(listed) == 230 and len({t.object_id for t in listed}) == 230
    assert len(Thing.objects.list(max_objects=150)) == 150


def test_delete_removes_it_and_what_its_kind_keeps(cluster, deleted):
    Thing.objects.create("cache")
    old = Thing.from_name("cache").hydrate().object_id
    Thing.objects.delete("cache")
    assert deleted == ["cache"]
    with pytest.raises(leveret.NotFoundError, match="no Thing named 'cache'"):
        Thing.from_name("cache").hydrate()
    with pytest.raises(leveret.NotFoundError, match="no Thing named 'cache'"):
        Thing.objects.delete("cache")
    Thing.objects.delete("cache", allow_missing=True)
    assert Thing.from_name("cache", create_if_missing=True).hydrate().object_id != old   # a new one


def test_a_name_against_the_rule_is_refused_by_the_sdk_and_by_the_server(cluster):
    with pytest.raises(leveret.InvalidError) as info:
        Thing.from_name("my cache")
    assert str(info.value).startswith(f"Thing name 'my cache' is not valid: {RULE}")
    assert str(info.value).endswith(", e.g. 'my-cache'")
    with pytest.raises(leveret.InvalidError, match="Thing name 'x{65}' is not valid"):
        Thing.objects.create("x" * 65)

    async def raw():   # a client that does not check first
        client = await Client.get()
        await client.call("ObjectGetOrCreate", pb.ObjectGetOrCreateRequest(
            kind="thing", name="a/b", creation=pb.OBJECT_CREATION_IF_MISSING))

    with pytest.raises(leveret.InvalidError, match=rf"Thing name 'a/b' is not valid: {RULE}.*, e.g. 'a-b'"):
        run_sync(raw())


def test_a_handle_is_not_made_by_its_constructor(cluster):
    with pytest.raises(leveret.InvalidError, match=r"use Thing.from_name\('name', create_if_missing=True\)"):
        Thing()


def test_deployed_apps_are_named_objects_made_by_deploys(cluster):
    app = leveret.App("etl")

    @app.function(serialized=True, name="version")
    def version():
        return 1

    assert DeployedApp.objects.list() == []
    d1 = app.deploy()
    [named] = DeployedApp.objects.list()
    assert named.name == "etl" and named.object_id.startswith("dp-")
    d2 = app.deploy()
    assert (d1.version, d2.version) == (1, 2)
    assert [a.object_id for a in DeployedApp.objects.list()] == [named.object_id]   # one name, two versions
    assert DeployedApp.from_name("etl").hydrate().object_id == named.object_id
    with pytest.raises(leveret.InvalidError, match=r"deployed apps are named by `leveret deploy FILE`"):
        DeployedApp.objects.create("web")
    with pytest.raises(leveret.InvalidError, match=r"stopped with `leveret app stop NAME`"):
        DeployedApp.objects.delete("etl")
    with pytest.raises(leveret.NotFoundError, match=r"^no deployed app named 'web': deploy it with `leveret deploy FILE`$"):
        DeployedApp.from_name("web").hydrate()
    with pytest.raises(leveret.InvalidError, match=r"deployed app name 'my etl' is not valid: .*e.g. 'my-etl'; name"
                                                   r" the app with App\('name'\) or `leveret deploy FILE --name NAME`"):
        app.deploy(name="my etl")


def test_function_from_name_looks_the_app_up_in_its_environment(tmp_path):
    with Cluster(tmp_path):
        app = leveret.App("etl")

        @app.function(serialized=True, name="double")
        def double(x):
            return 2 * x

        app.deploy()
        assert leveret.Function.from_name("etl", "double", environment_name="main").remote(4) == 8
        with pytest.raises(leveret.NotFoundError, match=r"no environment named 'dev' \(there are: main\): `leveret environment create dev`"):
            leveret.Function.from_name("etl", "double", environment_name="dev").remote(4)
