"""Secrets: environment for functions and registry pulls, never printed."""

import pytest

import leveret
from leveret.secret import merged_env


def test_from_dict_and_merge_order():
    a = leveret.Secret.from_dict({"A": "1", "B": "1", "SKIPPED": None})
    b = leveret.Secret.from_dict({"B": "2"})
    assert merged_env([a, b]) == {"A": "1", "B": "2"}
    assert "1" not in repr(a) and "A" in repr(a)


def test_from_local_environ_and_dotenv(tmp_path, monkeypatch):
    monkeypatch.setenv("TOKEN_X", "t")
    assert merged_env([leveret.Secret.from_local_environ(["TOKEN_X"])]) == {"TOKEN_X": "t"}
    with pytest.raises(leveret.InvalidError, match="NOT_SET_ANYWHERE not set"):
        leveret.Secret.from_local_environ(["NOT_SET_ANYWHERE"])
    env = tmp_path / ".env"
    env.write_text("# comment\nexport A='1'\nB=\"two\"\n\n")
    assert merged_env([leveret.Secret.from_dotenv(str(env))]) == {"A": "1", "B": "two"}


def test_bad_secrets_name_the_fix():
    with pytest.raises(leveret.InvalidError, match="leveret.Secret objects"):
        merged_env(["API_KEY=1"])
    with pytest.raises(leveret.InvalidError, match="without '='"):
        leveret.Secret.from_dict({"A=B": "x"})
    with pytest.raises(leveret.InvalidError, match="values stay on the server"):
        merged_env([leveret.Secret.from_name("prod")])
    with pytest.raises(leveret.InvalidError, match="required_keys takes a list"):
        leveret.Secret.from_name("prod", required_keys="API_KEY")
    assert "prod" in repr(leveret.Secret.from_name("prod"))


def test_registry_credentials_need_both_names_and_stay_out_of_the_steps():
    import asyncio

    from leveret.image import steps_for_workers

    with pytest.raises(leveret.InvalidError, match="REGISTRY_USERNAME and REGISTRY_PASSWORD"):
        leveret.Image.from_registry("localhost:5000/x", secret=leveret.Secret.from_dict({"REGISTRY_USERNAME": "u"}))
    image = leveret.Image.from_registry("localhost:5000/x", secret=leveret.Secret.from_dict(
        {"REGISTRY_USERNAME": "u", "REGISTRY_PASSWORD": "p"})).env({"A": "1"})
    assert "credentials" not in image.to_json() and "p" not in image._steps[0].values()

    async def secret_id(secret):
        return "st-given"

    async def upload(files):
        raise AssertionError("no local files")

    sent = asyncio.run(steps_for_workers(image, upload, secret_id))
    assert sent[0] == {"op": "from_registry", "ref": "localhost:5000/x", "credentials_secret": "st-given"}
    built_here = asyncio.run(steps_for_workers(image, upload))   # `leveret image build`: on this machine
    assert built_here[0]["credentials"] == ["u", "p"]
    named = leveret.Image.from_registry("localhost:5000/x", secret=leveret.Secret.from_name("registry"))
    assert named._registry_secret._required_keys == ["REGISTRY_USERNAME", "REGISTRY_PASSWORD"]
