import re

import pytest

from leveret._shared.ids import KINDS, check_id, new_id
from leveret.exception import InvalidError


@pytest.mark.parametrize("prefix", sorted(KINDS))
def test_new_id_carries_its_prefix(prefix):
    assert re.fullmatch(rf"{prefix}-[0-9a-f]{{16}}", new_id(prefix))


def test_new_ids_are_unique():
    ids = {new_id("in") for _ in range(1000)}
    assert len(ids) == 1000


def test_new_id_refuses_an_unknown_prefix():
    with pytest.raises(AssertionError):
        new_id("zz")


@pytest.mark.parametrize("prefix", sorted(KINDS))
def test_check_id_accepts_a_new_id(prefix):
    value = new_id(prefix)
    assert check_id(value, prefix) == value


def test_check_id_accepts_any_suffix():
    assert check_id("fc-x", "fc") == "fc-x"


@pytest.mark.parametrize("value", [
    "ap-1a2b3c4d5e6f7a8b",   # another kind
    "fc",                    # no dash, no suffix
    "fc-",                   # empty suffix
    "",
    "xfc-1a2b",              # prefix not at the start
    "FC-1a2b",
])
def test_check_id_rejects_a_string_that_is_not_an_id_of_that_kind(value):
    with pytest.raises(InvalidError, match="function call id"):
        check_id(value, "fc")


@pytest.mark.parametrize("value", [None, 123, b"fc-1a2b", ["fc-1a2b"]])
def test_check_id_rejects_a_non_string(value):
    with pytest.raises(InvalidError):
        check_id(value, "fc")


def test_check_id_error_shows_the_value_and_an_example_id():
    with pytest.raises(InvalidError) as info:
        check_id("ap-123", "in")
    message = str(info.value)
    assert "'ap-123'" in message
    example = re.search(r"'(in-[0-9a-f]+)'", message)
    assert example is not None
    assert check_id(example.group(1), "in")   # the example is itself a valid id
