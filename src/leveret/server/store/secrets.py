"""Rows of secrets' sealed values (server/secrets.py seals and opens them). Schema version 6
(migrations/m006_secrets.py)."""

from __future__ import annotations

import json


class SecretRows:
    """Mixed into SqlStore."""

    def put_secret(self, secret_id: str, key_id: str, sealed: bytes, keys: list[str]) -> None:
        self._execute(
            "INSERT INTO secret_values (id, key_id, sealed, keys, updated_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET key_id = excluded.key_id, sealed = excluded.sealed, keys = excluded.keys,"
            " updated_at = excluded.updated_at",
            (secret_id, key_id, sealed, json.dumps(sorted(keys)), self.clock.time()))

    def reseal_secret(self, secret_id: str, key_id: str, sealed: bytes) -> None:
        self._execute("UPDATE secret_values SET key_id = ?, sealed = ? WHERE id = ?", (key_id, sealed, secret_id))

    def get_secrets(self, secret_ids: list[str]) -> dict[str, tuple[str, bytes]]:
        """{secret_id: (key_id, sealed)} of those of ``secret_ids`` that exist."""
        if not secret_ids:
            return {}
        rows = self._execute(f"SELECT id, key_id, sealed FROM secret_values WHERE id IN ({', '.join('?' * len(secret_ids))})",
                             list(secret_ids)).fetchall()
        return {r[0]: (r[1], bytes(r[2])) for r in rows}

    def all_secrets(self) -> list[tuple[str, str, bytes]]:
        """(id, key_id, sealed) of every secret: a rotation seals each again."""
        return [(r[0], r[1], bytes(r[2])) for r in self._execute("SELECT id, key_id, sealed FROM secret_values ORDER BY id")]

    def secret_key_ids(self) -> set[str]:
        """The ids of the keys stored secrets are sealed under."""
        return {r[0] for r in self._execute("SELECT DISTINCT key_id FROM secret_values")}

    def delete_secret(self, secret_id: str) -> None:
        self._execute("DELETE FROM secret_values WHERE id = ?", (secret_id,))
