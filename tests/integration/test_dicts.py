"""Dict through a real server: every operation from the client, values any picklable object,
Modal's semantics (put's skip_if_exists, pop's default), limits named, a deleted Dict not found."""

import asyncio

import pytest

import leveret


@pytest.fixture
def d(cluster):
    import secrets

    name = "d-" + secrets.token_hex(4)
    yield leveret.Dict.from_name(name, create_if_missing=True)
    leveret.Dict.objects.delete(name, allow_missing=True)


def test_put_get_pop_contains_len_and_the_mapping_forms(d):
    assert d.put("a", 1) is True
    assert d.put("a", 2, skip_if_exists=True) is False and d.get("a") == 1
    d["b"] = {"nested": [1, 2, (3, "x")]}
    d.update({"c": 3}, e=5)
    d[("tuple", 1)] = b"bytes"
    assert d["b"] == {"nested": [1, 2, (3, "x")]} and d.get("zz", "dflt") == "dflt" and d.get("zz") is None
    assert "c" in d and d.contains("e") and "zz" not in d
    assert len(d) == 5 == d.len()
    assert d.pop("c") == 3 and d.pop("c", None) is None
    with pytest.raises(KeyError):
        d.pop("c")
    with pytest.raises(KeyError):
        d["c"]
    del d["e"]
    assert sorted(map(repr, d.keys())) == sorted(map(repr, ["a", "b", ("tuple", 1)]))
    assert dict(d.items())["a"] == 1 and len(d.values()) == 3 and len(list(iter(d))) == 3
    d.clear()
    assert len(d) == 0 and d.items() == []


def test_aio_forms(d):
    async def main():
        await d.put.aio("k", "v")
        assert await d.get.aio("k") == "v" and await d.len.aio() == 1 and await d.contains.aio("k")
        assert await d.items.aio() == [("k", "v")]

    asyncio.run(main())


def test_contents_come_in_pages(d):
    d.update({i: i * i for i in range(2500)})
    assert len(d) == 2500
    assert dict(d.items()) == {i: i * i for i in range(2500)}


def test_limits_are_named(d):
    with pytest.raises(leveret.exception.InvalidError, match="at most 2 MiB pickled.*Volume"):
        d.put("big", b"x" * (3 * 1024 * 1024))
    with pytest.raises(leveret.exception.InvalidError, match="key is at most 64 KiB"):
        d.put("k" * 70_000, 1)
    assert len(d) == 0


def test_a_deleted_dict_is_not_found_and_its_entries_are_gone(cluster):
    d = leveret.Dict.from_name("goes-away", create_if_missing=True)
    d["x"] = 1
    leveret.Dict.objects.delete("goes-away")
    with pytest.raises(leveret.exception.NotFoundError, match="no Dict"):
        d.get("x")
    again = leveret.Dict.from_name("goes-away", create_if_missing=True)
    assert len(again) == 0
    leveret.Dict.objects.delete("goes-away")


def test_an_ephemeral_dict_is_deleted_after_its_block(cluster):
    with leveret.Dict.ephemeral({"a": 1}) as tmp:
        assert tmp["a"] == 1
        name = tmp.name
    assert name not in [x.name for x in leveret.Dict.objects.list()]


def test_a_missing_dict_names_how_to_make_one(cluster):
    with pytest.raises(leveret.exception.NotFoundError, match=r"create_if_missing=True"):
        leveret.Dict.from_name("never-made").get("x")


def test_info_says_its_name_and_when_it_was_made(d):
    import datetime

    info = d.info()
    assert info.name == d.name and info.created_by is None
    assert abs(info.created_at - datetime.datetime.now(datetime.timezone.utc)) < datetime.timedelta(minutes=5)
