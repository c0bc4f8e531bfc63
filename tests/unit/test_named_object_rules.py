"""The server's named objects (server/objects/): get-or-create, lookup, list and delete for a kind a
test registers, the errors that name the fix, the environment, the deployed-app kind only
deploys make, and a deployed app's name through the Dispatcher."""

import asyncio
import functools
import types

import pytest

from leveret.server.errors import AlreadyExists, Invalid, NotFound
from leveret.server.objects import FAIL_IF_EXISTS, IF_MISSING, KINDS, PAGE, Kind, NamedObjects, register
from leveret.server.objects.apps import APP
from leveret.server.store import Store, open_store
from leveret.testing import FakeClock
from _server import dispatcher

RULE = "names are letters, digits, '-', '_' and '.', at most 64 characters"


@pytest.fixture
def clock():
    return FakeClock(1_800_000_000.0)


@pytest.fixture
def store():
    s = open_store(":memory:")
    yield s
    s.close()


@pytest.fixture
def deleted(monkeypatch):
    """A kind "thing" (ids tt-…) registered for the test; what its deletes also removed."""
    removed = []
    monkeypatch.setitem(KINDS, "thing", Kind("thing", "tt", "Thing", on_delete=lambda store, row: removed.append(row)))
    return removed


def over(store, named: NamedObjects):
    """The methods of ``named`` with ``store`` given, as the server's store threads call them."""
    return types.SimpleNamespace(**{name: functools.partial(getattr(named, name), store)
                                    for name in ("lookup", "get_or_create", "list", "delete")})


@pytest.fixture
def objects(store, clock, deleted):
    return over(store, NamedObjects(clock))


def test_a_missing_object_is_not_found_and_the_error_names_the_fix(objects):
    with pytest.raises(NotFound) as info:
        objects.lookup("thing", "cache")
    assert info.value.message == ("no Thing named 'cache' in environment 'main': create it with"
                                  " Thing.from_name('cache', create_if_missing=True)")


def test_create_if_missing_makes_one_then_returns_the_same(objects, clock):
    made, created = objects.get_or_create("thing", "cache", creation=IF_MISSING, attributes={"version": 2})
    assert created and made.id.startswith("tt-") and len(made.id) == 19
    assert (made.kind, made.environment, made.name, made.created_at, made.attributes) == \
        ("thing", "main", "cache", clock.now, {"version": 2})
    clock.now += 5
    again, created = objects.get_or_create("thing", "cache", "main", creation=IF_MISSING, attributes={"version": 1})
    assert (again, created) == (made, False)     # the one there is, as it was made
    assert objects.lookup("thing", "cache") == made


def test_create_refuses_a_taken_name_but_not_its_own_request_sent_again(objects):
    made, created = objects.get_or_create("thing", "cache", creation=FAIL_IF_EXISTS, object_id="tt-00112233445566aa")
    assert created and made.id == "tt-00112233445566aa"
    with pytest.raises(AlreadyExists) as info:
        objects.get_or_create("thing", "cache", creation=FAIL_IF_EXISTS, object_id="tt-99112233445566aa")
    assert info.value.message == ("a Thing named 'cache' already exists in environment 'main': use it with"
                                  " Thing.from_name('cache'), or delete it first with Thing.objects.delete('cache')")
    # the first request, sent again after a reconnect: what it made is its answer
    assert objects.get_or_create("thing", "cache", creation=FAIL_IF_EXISTS, object_id="tt-00112233445566aa") == (made, True)


@pytest.mark.parametrize("object_id", ["di-00112233445566aa", "tt-xyz", "tt-00112233445566aa-1"])
def test_an_id_chosen_by_the_client_must_be_of_the_kind(objects, object_id):
    with pytest.raises(Invalid, match="is not a Thing id: they look like 'tt-1a2b3c4d5e6f7a8b'"):
        objects.get_or_create("thing", "cache", creation=IF_MISSING, object_id=object_id)


@pytest.mark.parametrize("name, suggestion", [
    ("my cache", ", e.g. 'my-cache'"), ("x" * 65, ", e.g. '" + "x" * 64 + "'"), ("", ""),
    ("tt-00112233445566aa", ""), ("a/b", ", e.g. 'a-b'"),
])
def test_a_new_name_is_checked_against_the_rule(objects, name, suggestion):
    with pytest.raises(Invalid) as info:
        objects.get_or_create("thing", name, creation=IF_MISSING)
    assert info.value.message == f"Thing name {name!r} is not valid: {RULE}, and not shaped like an id" \
                                 f" ('ap-1a2b3c4d5e6f7a8b'){suggestion}"
    with pytest.raises(NotFound):     # looking one up only says there is none
        objects.lookup("thing", name)


def test_names_at_the_edges_of_the_rule_are_taken(objects):
    for name in ("a", "x" * 64, "A-b_c.9", "ap-notanid"):
        assert objects.get_or_create("thing", name, creation=IF_MISSING)[1]


def test_attributes_are_small(objects):
    with pytest.raises(Invalid, match="at most 4096 bytes of JSON"):
        objects.get_or_create("thing", "cache", creation=IF_MISSING, attributes={"data": "x" * 5000})


def test_an_unknown_kind_and_an_unknown_environment_say_what_there_is(objects):
    with pytest.raises(Invalid, match=r"no kind of named object 'blob': this server knows app, (dict, )?(queue, )?(secret, )?thing(, volume)?"):
        objects.lookup("blob", "cache")
    with pytest.raises(NotFound, match=r"no environment named 'dev' \(there are: main\): `leveret environment"
                                       " create dev` makes it"):
        objects.get_or_create("thing", "cache", "dev", creation=IF_MISSING)


def test_list_is_newest_first_a_page_at_a_time(objects, clock):
    for i in range(PAGE + 5):
        objects.get_or_create("thing", f"n{i}", creation=IF_MISSING)
        clock.now += 1
    page = objects.list("thing", limit=0)
    assert len(page) == PAGE and page[0].name == f"n{PAGE + 4}"
    assert [o.name for o in objects.list("thing", limit=1000, before=(page[-1].created_at, page[-1].id))] == \
        ["n4", "n3", "n2", "n1", "n0"]
    assert [o.name for o in objects.list("thing", "main", limit=2)] == [f"n{PAGE + 4}", f"n{PAGE + 3}"]
    assert objects.list("app") == []


def test_delete_takes_the_object_and_what_its_kind_keeps_with_it(objects, deleted):
    made, _ = objects.get_or_create("thing", "cache", creation=IF_MISSING)
    assert objects.delete(made.id) == made
    assert deleted == [made]
    with pytest.raises(NotFound, match=rf"no Thing with id '{made.id}': it was deleted \(Thing.objects.list\(\)"):
        objects.delete(made.id)
    assert objects.delete(made.id, again=True) is None   # the first send deleted it
    assert objects.get_or_create("thing", "cache", creation=IF_MISSING)[1]   # the name is free again


def test_a_delete_whose_kind_fails_to_clean_up_keeps_the_object(store, clock, monkeypatch):
    def refuse(store, row):
        raise RuntimeError("disk gone")

    monkeypatch.setitem(KINDS, "thing", Kind("thing", "tt", "Thing", on_delete=refuse))
    objects = over(store, NamedObjects(clock))
    made, _ = objects.get_or_create("thing", "cache", creation=IF_MISSING)
    with pytest.raises(RuntimeError, match="disk gone"):
        objects.delete(made.id)
    assert objects.lookup("thing", "cache") == made


def test_a_delete_needs_the_id_of_a_named_object(objects):
    with pytest.raises(Invalid, match=r"'fu-00112233445566aa' is not the id of a named object: their ids start"
                                      r" .*dp- \(deployed app\)"):
        objects.delete("fu-00112233445566aa")


def test_kinds_keep_their_names_and_prefixes_apart(deleted):
    with pytest.raises(ValueError, match="clashes with kind 'app'"):
        register(Kind("volume", "dp", "Volume"))
    with pytest.raises(ValueError, match="two lowercase letters"):
        register(Kind("volume", "vol", "Volume"))
    assert register(APP) is APP   # the same kind again is no clash


def test_deployed_apps_are_made_by_deploys_only(objects, store):
    with pytest.raises(NotFound, match=r"^no deployed app named 'etl': deploy it with `leveret deploy FILE`$"):
        objects.lookup(APP, "etl")
    for creation in (IF_MISSING, FAIL_IF_EXISTS):
        with pytest.raises(Invalid, match=r"deployed apps are named by `leveret deploy FILE`"):
            objects.get_or_create("app", "etl", creation=creation)
    made, created = objects.get_or_create(APP, "etl", creation=IF_MISSING, owner=True)
    assert created and made.id.startswith("dp-")
    assert objects.get_or_create("app", "etl", creation=IF_MISSING) == (made, False)   # got, not made
    with pytest.raises(Invalid, match="stopped with `leveret app stop NAME`"):
        objects.delete(made.id)
    assert store.get_object_by_id(made.id) == made


def test_every_version_of_a_deployed_app_shares_its_name_made_by_the_first_deploy(clock):
    async def main():
        d = dispatcher(clock=clock)
        apps = functools.partial(d.reads.run, d.objects.list, APP)
        first, _ = await d.create_app("etl", "", deploy=True)
        [named] = await apps()
        assert (named.name, named.created_at) == ("etl", clock.now)
        clock.now += 10
        second, version = await d.create_app("etl", "", deploy=True)
        assert version == 2 and await apps() == [named]
        await d.create_app("scratch run", "")                        # a run has no named object, whatever its name
        assert await apps() == [named]
        with pytest.raises(Invalid, match=r"^deployed app name 'my etl' is not valid: .*, e.g. 'my-etl'; name the app"
                                          r" with App\('name'\) or `leveret deploy FILE --name NAME`$"):
            await d.create_app("my etl", "", deploy=True)
        assert await d.reads.run(Store.app_versions, "my etl") == []     # nothing of it was stored
        assert len(await d.reads.run(Store.list_apps)) == 3

    asyncio.run(main())
