"""Modal's ``modal.dict``: its Dict comes with Dict (state)."""

from ._later import missing

__all__: list[str] = []
__getattr__ = missing(__name__, {"Dict": "Leveret's Dict (state)"})
