"""Rows of the blobs that carry payloads over the inline limit (the files are the server's, in
server/blobs.py): which call each belongs to, so retention deletes them with the call, and when it
was made, so one that no call took (its client or container died first) goes after a while.

Inputs and outputs name their blob in ``inputs.args_blob`` and ``outputs.data_blob`` ("" when the
payload is inline): schema version 2 (migrations/m002_payload_blobs.py).
"""

from __future__ import annotations


class PayloadBlobs:
    """Mixed into SqlStore."""

    def add_blob(self, blob_id: str, size: int) -> None:
        """A blob just stored: no call has it yet."""
        self._execute("INSERT INTO payload_blobs (id, call_id, size, created_at) VALUES (?, '', ?, ?)",
                      (blob_id, size, self.clock.time()))

    def attach_blobs(self, call_id: str, blob_ids: list[str]) -> None:
        """The blobs now belong to ``call_id`` (its inputs' or outputs' payloads)."""
        self._executemany("UPDATE payload_blobs SET call_id = ? WHERE id = ?", [(call_id, b) for b in blob_ids])

    def blob_size(self, blob_id: str) -> int | None:
        row = self._execute("SELECT size FROM payload_blobs WHERE id = ?", (blob_id,)).fetchone()
        return None if row is None else row[0]

    def blobs_of_calls(self, call_ids: list[str]) -> list[str]:
        found: list[str] = []
        for i in range(0, len(call_ids), 500):
            chunk = call_ids[i:i + 500]
            found += [r[0] for r in self._execute(
                "SELECT id FROM payload_blobs WHERE call_id IN (%s)" % ",".join("?" * len(chunk)), chunk)]
        return found

    def unattached_blobs(self, before: float, limit: int) -> list[str]:
        """Blobs no call took, made before ``before``."""
        return [r[0] for r in self._execute(
            "SELECT id FROM payload_blobs WHERE call_id = '' AND created_at < ? ORDER BY created_at LIMIT ?",
            (before, limit))]

    def delete_blob_rows(self, blob_ids: list[str]) -> None:
        self._executemany("DELETE FROM payload_blobs WHERE id = ?", [(b,) for b in blob_ids])
