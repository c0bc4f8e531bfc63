"""Client profiles in ~/.leveret.toml, as Modal's: `leveret token set` keeps a server and a token,
`leveret profile list | activate` picks one, `leveret config show` says which server is used and
why; LEVERET_SERVER_URL (with LEVERET_TOKEN) and LEVERET_PROFILE win over the file."""

import os
import stat
import tomllib

import pytest
from click.testing import CliRunner

from leveret import config
from leveret.cli.main import cli
from leveret.exception import InvalidError


@pytest.fixture
def env(tmp_path, monkeypatch):
    for var in ("LEVERET_SERVER_URL", "LEVERET_TOKEN", "LEVERET_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LEVERET_CONFIG_PATH", str(tmp_path / "leveret.toml"))
    return tmp_path / "leveret.toml"


def _cli(*args, **env):
    out = CliRunner().invoke(cli, list(args), prog_name="leveret", env=env or None)
    return out.exit_code, out.output


def test_token_set_keeps_profiles_and_the_active_one_is_used(env):
    assert config.explicit_server() is None   # no file: the embedded daemon
    assert _cli("token", "set", "--server", "http://a:7070", "--token", "lvu_aaa")[0] == 0
    code, said = _cli("token", "set", "--server", "https://b:7070", "--token", "lvu_bbb ", "--profile", "prod")
    assert code == 0 and "profile prod" in said and "(active)" in said
    assert stat.S_IMODE(os.stat(env).st_mode) == 0o600   # it holds tokens
    with open(env, "rb") as f:
        assert tomllib.load(f) == {"default": {"server_url": "http://a:7070", "token": "lvu_aaa"},
                                   "prod": {"server_url": "https://b:7070", "token": "lvu_bbb", "active": True}}
    assert config.explicit_server() == config.ServerConfig("https://b:7070", "lvu_bbb", embedded=False)
    assert _cli("profile", "list") == (0, "  default          http://a:7070\n* prod             https://b:7070\n")
    assert _cli("profile", "activate", "default")[0] == 0
    assert config.explicit_server().url == "http://a:7070"
    code, shown = _cli("config", "show")
    assert code == 0 and "server_url: http://a:7070\ntoken: lvu_aa…\nsource: profile default" in shown


def test_token_set_takes_modals_token_id_and_secret_and_keeps_the_profiles_server(env):
    assert _cli("token", "set", "--server", "http://a:7070", "--token", "lvu_aaa")[0] == 0
    code, said = _cli("token", "set", "--token-id", "ut-123", "--token-secret", "lvu_new")
    assert code == 0, said
    with open(env, "rb") as f:
        assert tomllib.load(f)["default"] == {"server_url": "http://a:7070", "token": "lvu_new", "token_id": "ut-123",
                                              "active": True}
    code, said = _cli("token", "set", "--token", "lvu_x", "--profile", "fresh")
    assert code == 2 and "profile fresh has no server yet: give --server URL" in said


def test_token_new_needs_to_know_the_server(env):
    code, said = _cli("token", "new", "--no-browser")
    assert code == 2 and "which server? give --server URL" in said


def test_the_environment_wins_over_the_file(env, monkeypatch):
    _cli("token", "set", "--server", "http://a:7070", "--token", "lvu_aaa")
    _cli("token", "set", "--server", "http://b:7070", "--token", "lvu_bbb", "--profile", "b", "--no-activate")
    monkeypatch.setenv("LEVERET_PROFILE", "b")
    assert config.explicit_server().url == "http://b:7070"
    monkeypatch.setenv("LEVERET_SERVER_URL", "http://c:7070")
    monkeypatch.setenv("LEVERET_TOKEN", "lvu_ccc")
    assert config.explicit_server() == config.ServerConfig("http://c:7070", "lvu_ccc", embedded=False)
    assert "source: environment (LEVERET_SERVER_URL)" in _cli("config", "show")[1]


def test_bad_profiles_are_refused_naming_the_fix(env, monkeypatch):
    assert _cli("profile", "activate", "nope") == (1, f"Error: no profile nope in {env} (none): `leveret token set"
                                                       " --server URL --token TOKEN --profile nope` makes it\n")
    env.write_text('[x]\nserver_url = "http://a:7070"\n')
    with pytest.raises(InvalidError, match="profile x of .* lacks token: set it with `leveret token set"):
        config.explicit_server()
    env.write_text("[x\n")
    with pytest.raises(InvalidError, match="cannot read .*leveret.toml"):
        config.explicit_server()
    env.write_text('[x]\nserver_url = "http://a:7070"\ntoken = "a b"\n')
    with pytest.raises(InvalidError, match="the token of profile x .* holds a space"):
        config.explicit_server()
    monkeypatch.setenv("LEVERET_PROFILE", "y")
    with pytest.raises(InvalidError, match="LEVERET_PROFILE=y: .* has no such profile \\(x\\)"):
        config.explicit_server()
    assert _cli("token", "set", "--server", "http://a", "--token", "a\tb")[0] == 1
