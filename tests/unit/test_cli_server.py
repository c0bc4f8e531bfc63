import pytest

from leveret.cli.server import _without_password


@pytest.mark.parametrize("url, shown", [
    ("postgresql://leveret:s3cr%40t@db:5432/leveret", "postgresql://leveret:***@db:5432/leveret"),
    ("postgresql://leveret@db/leveret", "postgresql://leveret@db/leveret"),
    ("sqlite:///var/lib/leveret/state.db", "sqlite:///var/lib/leveret/state.db"),
])
def test_the_printed_store_url_hides_its_password(url, shown):
    assert _without_password(url) == shown


def test_a_bad_call_retention_names_the_forms_before_anything_starts(monkeypatch):
    from click.testing import CliRunner

    from leveret.cli.main import cli
    from leveret.server import main

    monkeypatch.setattr(main, "run", lambda *a, **kw: pytest.fail("the server started"))
    result = CliRunner().invoke(cli, ["server", "--listen", "127.0.0.1:0", "--call-retention", "a week"])
    assert result.exit_code == 2
    assert "--call-retention" in result.output and "give a number and a unit: 30s, 30m, 1h, 7d" in result.output


@pytest.mark.parametrize("args, seconds", [([], 7 * 86400.0), (["--call-retention", "36h"], 36 * 3600.0)])
def test_the_call_retention_reaches_the_server(monkeypatch, tmp_path, args, seconds):
    from click.testing import CliRunner

    from leveret.cli.main import cli
    from leveret.server import main

    got = {}
    monkeypatch.setattr(main, "run", lambda *a, **options: got.update(options))
    monkeypatch.setenv("LEVERET_HOME", str(tmp_path))
    result = CliRunner().invoke(cli, ["server", "--listen", "127.0.0.1:0", "--token", "t", *args])
    assert result.exit_code == 0, result.output
    assert got["call_retention_s"] == seconds
