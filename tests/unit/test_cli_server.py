import pytest

from leveret.cli.server import _without_password


@pytest.mark.parametrize("url, shown", [
    ("postgresql://leveret:s3cr%40t@db:5432/leveret", "postgresql://leveret:***@db:5432/leveret"),
    ("postgresql://leveret@db/leveret", "postgresql://leveret@db/leveret"),
    ("sqlite:///var/lib/leveret/state.db", "sqlite:///var/lib/leveret/state.db"),
])
def test_the_printed_store_url_hides_its_password(url, shown):
    assert _without_password(url) == shown
