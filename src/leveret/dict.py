"""Modal's ``modal.dict``: Dict come with Leveret's Dict (state); until then importing them
says so (an ImportError naming what is missing), never a name that does not work."""

__all__: list[str] = []

LATER = ['Dict']


def __getattr__(name: str):
    if name in LATER:
        raise ImportError(f"leveret.{name} is not available yet: it comes with Leveret's Dict (state)")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
