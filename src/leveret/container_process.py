"""Modal's ``modal.container_process``: its ContainerProcess comes with sandboxes."""

from ._later import missing

__all__: list[str] = []
__getattr__ = missing(__name__, {"ContainerProcess": "sandboxes"})
