"""Modal's ``modal.queue``: its Queue comes with Queue (state)."""

from ._later import missing

__all__: list[str] = []
__getattr__ = missing(__name__, {"Queue": "Leveret's Queue (state)"})
