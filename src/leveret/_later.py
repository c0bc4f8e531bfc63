"""Modal's objects Leveret does not have yet: importing one says what brings it (an ImportError that
names the missing piece), never a name that would not work."""

from __future__ import annotations


def missing(module: str, later: dict[str, str]):
    """A module's ``__getattr__`` for ``later``'s names (name -> what brings it)."""
    def __getattr__(name: str):
        if name in later:
            raise ImportError(f"leveret.{name} is not available yet: it comes with {later[name]}")
        raise AttributeError(f"module {module!r} has no attribute {name!r}")

    return __getattr__
