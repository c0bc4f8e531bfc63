"""Bad input gets a clear error that names the fix, and harms nothing else: the next input on the
same container, or the next call with a good token, succeeds."""

import os

import pytest

import leveret
from apps import bad_input
from leveret import _client


def test_infinite_recursion_is_the_inputs_recursion_error_and_the_next_input_runs(cluster):
    with bad_input.app.run(show_logs=False):
        with pytest.raises(RecursionError, match="maximum recursion depth exceeded"):
            bad_input.recurse.remote(0)
        assert bad_input.echo.remote("next") == "next"
        with pytest.raises(RecursionError):
            bad_input.recurse.remote(1)


@pytest.mark.parametrize("token, error, text", [
    ("garbage", leveret.exception.AuthError, "refused the token: missing or wrong token"),
    ("two words", leveret.exception.InvalidError, "LEVERET_TOKEN holds a space, a line break"),
    ("tok\nen", leveret.exception.InvalidError, "LEVERET_TOKEN holds a space, a line break"),
    ("   ", leveret.exception.InvalidError, "LEVERET_TOKEN is not: set it to the server's token"),
])
def test_a_malformed_token_is_refused_naming_the_fix_and_a_good_one_works_after(cluster, token, error, text):
    good = os.environ["LEVERET_TOKEN"]
    os.environ["LEVERET_TOKEN"] = token
    _client.reset()
    try:
        with pytest.raises(error, match=text):
            leveret.App.lookup("bad-token", create_if_missing=True)
    finally:
        os.environ["LEVERET_TOKEN"] = good
        _client.reset()
    assert leveret.App.lookup("bad-token", create_if_missing=True).app_id.startswith("ap-")


def test_a_token_with_the_line_end_it_was_copied_with_works(cluster):
    good = os.environ["LEVERET_TOKEN"]
    os.environ["LEVERET_TOKEN"] = good + "\n"
    _client.reset()
    try:
        assert leveret.App.lookup("bad-token", create_if_missing=True).app_id.startswith("ap-")
    finally:
        os.environ["LEVERET_TOKEN"] = good
        _client.reset()
