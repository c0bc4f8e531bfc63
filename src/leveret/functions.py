"""Modal's ``modal.functions``: ``from leveret.functions import FunctionCall`` as from Modal's."""

from .function import Function, FunctionCall, FunctionStats, gather

__all__ = ["Function", "FunctionCall", "FunctionStats", "gather"]
