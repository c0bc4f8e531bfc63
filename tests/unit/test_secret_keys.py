"""The server's secret key (server/secret_keys.py): sealing, opening, where the key comes from, and
a rotation stopped at any point still opening every secret."""

import base64
import os
import stat

import pytest

from leveret.server.secret_keys import ENV_KEY, ENV_OLD_KEY, KEY_FILE, Keyring, KeyError_, key_id


def b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


def test_a_key_file_is_made_once_0600_and_seals_what_it_opens(tmp_path):
    ring = Keyring.load(str(tmp_path), environ={})
    path = tmp_path / KEY_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert Keyring.load(str(tmp_path), environ={}).current_id == ring.current_id   # the same key next time
    kid, sealed = ring.seal("st-1", {"API_KEY": "v4lue"})
    assert b"v4lue" not in sealed and kid == ring.current_id
    assert ring.open("st-1", kid, sealed) == {"API_KEY": "v4lue"}
    assert ring.seal("st-1", {"API_KEY": "v4lue"})[1] != sealed   # a fresh nonce each time


def test_a_sealed_secret_opens_only_under_its_own_id_and_unaltered(tmp_path):
    ring = Keyring.load(str(tmp_path), environ={})
    kid, sealed = ring.seal("st-1", {"A": "1"})
    with pytest.raises(KeyError_, match="altered"):
        ring.open("st-2", kid, sealed)            # copied onto another secret's row
    with pytest.raises(KeyError_, match="altered"):
        ring.open("st-1", kid, sealed[:-1] + bytes([sealed[-1] ^ 1]))
    with pytest.raises(KeyError_, match="does not have"):
        ring.open("st-1", "0" * 16, sealed)


def test_the_key_from_the_environment_and_its_predecessor(tmp_path):
    old, new = os.urandom(32), os.urandom(32)
    sealed = Keyring(old).seal("st-1", {"A": "1"})
    ring = Keyring.load(str(tmp_path), environ={ENV_KEY: b64(new), ENV_OLD_KEY: b64(old)})
    assert ring.current_id == key_id(new) and ring.open("st-1", *sealed) == {"A": "1"}
    assert not (tmp_path / KEY_FILE).exists()   # no file is made when the key is given
    with pytest.raises(KeyError_, match=f"{ENV_KEY} is not a key: give base64 of 32 random bytes"):
        Keyring.load(str(tmp_path), environ={ENV_KEY: "short"})


def test_anonymous_ids_depend_on_the_values_and_the_key(tmp_path):
    ring = Keyring.load(str(tmp_path), environ={})
    assert ring.anonymous_id({"A": "1", "B": "2"}) == ring.anonymous_id({"B": "2", "A": "1"})
    assert ring.anonymous_id({"A": "1"}) != ring.anonymous_id({"A": "2"})
    assert Keyring(os.urandom(32)).anonymous_id({"A": "1"}) != ring.anonymous_id({"A": "1"})


@pytest.mark.parametrize("stopped", ["before_the_transaction", "after_the_transaction", "between_the_renames"])
def test_a_rotation_stopped_anywhere_leaves_every_secret_open(tmp_path, stopped):
    ring = Keyring.load(str(tmp_path), environ={})
    rows = {"st-1": ring.seal("st-1", {"A": "1"})}
    new = ring.rotation()   # writes secret.key.new
    assert (tmp_path / (KEY_FILE + ".new")).exists()
    if stopped != "before_the_transaction":
        rows = {"st-1": new.seal("st-1", ring.open("st-1", *rows["st-1"]))}   # committed
    if stopped == "between_the_renames":
        os.replace(tmp_path / KEY_FILE, tmp_path / (KEY_FILE + ".old"))
    again = Keyring.load(str(tmp_path), environ={})
    again.settle({kid for kid, _ in rows.values()})
    assert again.open("st-1", *rows["st-1"]) == {"A": "1"}
    expected = ring.current_id if stopped == "before_the_transaction" else new.current_id
    assert again.current_id == expected
    assert sorted(os.listdir(tmp_path)) == [KEY_FILE]   # the leftovers are settled


def test_a_finished_rotation_keeps_only_the_new_key(tmp_path):
    ring = Keyring.load(str(tmp_path), environ={})
    new = ring.rotation()
    new.finish_rotation()
    assert Keyring.load(str(tmp_path), environ={}).current_id == new.current_id != ring.current_id
    assert sorted(os.listdir(tmp_path)) == [KEY_FILE]
