"""Names of objects kept on the server (deployed apps, and Volumes, Dicts, Queues, Secrets), checked
as Modal checks them: letters, digits, '-', '_' and '.', at most 64 characters, and not shaped like
an id, so that a name never reads as one. The SDK checks before it asks; the server checks again
before it creates one."""

from __future__ import annotations

import re

MAX_LENGTH = 64
RULE = (f"names are letters, digits, '-', '_' and '.', at most {MAX_LENGTH} characters, and not shaped like an id"
        " ('ap-1a2b3c4d5e6f7a8b')")

_NAME = re.compile(r"[A-Za-z0-9._-]+")
_ID = re.compile(r"[a-z]{2}-[0-9a-f]{16}")


def name_problem(name: object, label: str) -> str:
    """"" for a good name, else what is wrong with it and a name that would do."""
    if isinstance(name, str) and len(name) <= MAX_LENGTH and _NAME.fullmatch(name) and not _ID.fullmatch(name):
        return ""
    if not isinstance(name, str):
        return f"a {label} name must be a str, not {type(name).__name__}: {RULE}"
    text = f"{label} name {name!r} is not valid: {RULE}"
    suggestion = re.sub(r"[^A-Za-z0-9._-]+", "-", name.strip())[:MAX_LENGTH].strip("-")
    if suggestion and _NAME.fullmatch(suggestion) and not _ID.fullmatch(suggestion):
        text += f", e.g. {suggestion!r}"
    return text


def check_object_name(name: object, label: str) -> str:
    """``name`` if it is a good name for a ``label`` (e.g. "Dict"), else InvalidError saying why."""
    problem = name_problem(name, label)
    if problem:
        from .errors import InvalidError

        raise InvalidError(problem)
    return name


def qualified(app_name: str, environment: str) -> str:
    """An app's name as the server keeps it: ``NAME`` in the default environment ("main"),
    ``NAME@ENV`` in another (names have no '@': an environment's apps are apart from main's)."""
    return app_name if not environment or environment == "main" else f"{app_name}@{environment}"
