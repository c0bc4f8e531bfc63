"""The SDK's base of named objects (leveret._object) without a server: handles are lazy, names are
checked before anything is asked, a handle pickles without its connection, and the public names."""

import pickle
import re

import pytest

import leveret
from leveret._object import ObjectManager, _Object
from leveret._shared.names import RULE, check_object_name


class Thing(_Object, kind="thing", type_prefix="tt"):
    pass


def test_from_name_asks_nothing_until_used():
    t = Thing.from_name("cache", environment_name="main", create_if_missing=True)
    assert (t.name, t.object_id, t.is_hydrated, t._client) == ("cache", None, False, None)
    assert repr(t) == "Thing.from_name('cache', environment_name='main')"


@pytest.mark.parametrize("name", ["my cache", "", "x" * 65, "tt-0123456789abcdef", "a/b", 3])
def test_a_name_against_the_rule_is_refused_at_once(name):
    with pytest.raises(leveret.InvalidError, match=re.escape(RULE) if isinstance(name, str) else "must be a str"):
        Thing.from_name(name)


@pytest.mark.parametrize("name", ["a", "x" * 64, "A-b_c.9", "ap-notanid", "ap-0123456789abcdeF"])
def test_names_within_the_rule_are_taken(name):
    assert check_object_name(name, "Thing") == name


def test_a_hydrated_handle_pickles_without_its_connection():
    t = Thing.from_name("cache")
    t._object_id, t._client = "tt-0123456789abcdef", object()
    copy = pickle.loads(pickle.dumps(t))
    assert (copy.name, copy.object_id, copy._client) == ("cache", "tt-0123456789abcdef", None)
    assert t._client is not None


def test_objects_is_the_types_manager_on_the_type_and_its_handles():
    assert isinstance(Thing.objects, ObjectManager) and Thing.objects._type is Thing
    assert Thing.from_name("x").objects._type is Thing
    assert repr(Thing.objects) == "<Thing.objects>"


def test_a_subclass_names_its_kind_and_prefix_together():
    with pytest.raises(TypeError, match="give both"):
        class Half(_Object, kind="half"):
            pass


def test_already_exists_error_is_public_as_in_modal():
    assert leveret.AlreadyExistsError is leveret.exception.AlreadyExistsError
    assert issubclass(leveret.AlreadyExistsError, leveret.Error)
    assert "AlreadyExistsError" in leveret.__all__
