"""Modal's ``modal.volume``: its Volume comes with Volume (state)."""

from ._later import missing

__all__: list[str] = []
__getattr__ = missing(__name__, {"Volume": "Leveret's Volume (state)"})
