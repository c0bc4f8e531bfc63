"""Modal's ``modal.volume``: Volume come with Leveret's Volume (state); until then importing them
says so (an ImportError naming what is missing), never a name that does not work."""

__all__: list[str] = []

LATER = ['Volume']


def __getattr__(name: str):
    if name in LATER:
        raise ImportError(f"leveret.{name} is not available yet: it comes with Leveret's Volume (state)")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
