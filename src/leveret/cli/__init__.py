"""The ``leveret`` command: one module per noun."""

from .main import cli

__all__ = ["cli"]
