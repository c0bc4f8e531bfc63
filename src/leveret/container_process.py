"""Modal's ``modal.container_process``: ContainerProcess come with sandboxes; until then importing them
says so (an ImportError naming what is missing), never a name that does not work."""

__all__: list[str] = []

LATER = ['ContainerProcess']


def __getattr__(name: str):
    if name in LATER:
        raise ImportError(f"leveret.{name} is not available yet: it comes with sandboxes")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
