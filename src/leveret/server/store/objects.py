"""Rows of named objects (server/objects/): one per (kind, environment, name), keyed by an id
that carries its kind's prefix, with when it was made and its kind's small JSON of attributes.
Schema version 4 (migrations/m004_named_objects.py). Names are checked before they get here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ObjectRow:
    id: str
    kind: str
    environment: str
    name: str
    created_at: float
    attributes: dict = field(default_factory=dict)


_COLUMNS = "SELECT id, kind, environment, name, created_at, attributes FROM named_objects"


def _row(r) -> ObjectRow:
    return ObjectRow(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]))


class NamedObjectRows:
    """Mixed into SqlStore."""

    def create_object(self, row: ObjectRow) -> bool:
        """Store a new object; False (and nothing stored) when its name, or its id, is taken."""
        cur = self._execute(
            "INSERT INTO named_objects (id, kind, environment, name, created_at, attributes) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (row.id, row.kind, row.environment, row.name, row.created_at, json.dumps(row.attributes)))
        return cur.rowcount == 1

    def get_object(self, kind: str, environment: str, name: str) -> ObjectRow | None:
        r = self._execute(_COLUMNS + " WHERE kind = ? AND environment = ? AND name = ?",
                          (kind, environment, name)).fetchone()
        return None if r is None else _row(r)

    def get_object_by_id(self, object_id: str) -> ObjectRow | None:
        r = self._execute(_COLUMNS + " WHERE id = ?", (object_id,)).fetchone()
        return None if r is None else _row(r)

    def object_exists(self, object_id: str) -> bool:
        return self._execute("SELECT 1 FROM named_objects WHERE id = ?", (object_id,)).fetchone() is not None

    def list_objects(self, kind: str, environment: str, *, limit: int,
                     before: tuple[float, str] | None = None) -> list[ObjectRow]:
        """A kind's objects in an environment, newest first, at most ``limit``; with ``before``
        (created_at, id), only those that come after it in that order: made earlier, or at the
        same time with a smaller id (the last of a page, so the next page neither skips nor
        repeats; an id of "" starts strictly before the time)."""
        where, params = "kind = ? AND environment = ?", [kind, environment]
        if before is not None:
            where += " AND (created_at < ? OR (created_at = ? AND id < ?))"
            params += [before[0], before[0], before[1]]
        rows = self._execute(f"{_COLUMNS} WHERE {where} ORDER BY created_at DESC, id DESC LIMIT ?",
                             params + [limit]).fetchall()
        return [_row(r) for r in rows]

    def set_object_attributes(self, object_id: str, attributes: dict) -> None:
        self._execute("UPDATE named_objects SET attributes = ? WHERE id = ?", (json.dumps(attributes), object_id))

    def delete_object(self, object_id: str) -> bool:
        """Delete an object's row; False if there was none."""
        return self._execute("DELETE FROM named_objects WHERE id = ?", (object_id,)).rowcount == 1

    def add_environment(self, name: str) -> bool:
        """Make an environment; False if there is one of that name."""
        if self._execute("SELECT 1 FROM environments WHERE name = ?", (name,)).fetchone() is not None:
            return False
        self._execute("INSERT INTO environments (name, created_at) VALUES (?, ?)", (name, self.clock.time()))
        return True

    def environments(self) -> list[tuple[str, float]]:
        """(name, created_at) of the environments made, oldest first ("main" is not among them)."""
        return self._execute("SELECT name, created_at FROM environments ORDER BY created_at, name").fetchall()

    def environment_exists(self, name: str) -> bool:
        return self._execute("SELECT 1 FROM environments WHERE name = ?", (name,)).fetchone() is not None
