"""Modal's ``modal.container_process``: a command run in a sandbox (sandbox.py)."""

from .sandbox import ContainerProcess

__all__ = ["ContainerProcess"]
