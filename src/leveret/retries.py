"""``Retries``: how often, and after how long, a failed input runs again (Modal's names)."""

from __future__ import annotations

from .exception import InvalidError

MAX_RETRIES = 10


class Retries:
    """``@app.function(retries=Retries(max_retries=3, backoff_coefficient=2.0))``.

    An input whose attempt fails (an exception, a timeout, its container crashing or running out of
    memory) runs again after ``initial_delay`` seconds, each further delay ``backoff_coefficient``
    times the last, at most ``max_delay``. ``retries=N`` is ``Retries(max_retries=N,
    backoff_coefficient=1.0)``.
    """

    def __init__(self, *, max_retries: int, backoff_coefficient: float = 2.0, initial_delay: float = 1.0,
                 max_delay: float = 60.0):
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or not 0 <= max_retries <= MAX_RETRIES:
            raise InvalidError(f"Retries(max_retries={max_retries!r}) must be a whole number from 0 to {MAX_RETRIES}")
        _number("backoff_coefficient", backoff_coefficient, 1.0, 10.0)
        _number("initial_delay", initial_delay, 0.0, 60.0)
        _number("max_delay", max_delay, 1.0, 60.0)
        self.max_retries = max_retries
        self.backoff_coefficient = float(backoff_coefficient)
        self.initial_delay = float(initial_delay)
        self.max_delay = float(max_delay)

    def __repr__(self) -> str:
        return (f"Retries(max_retries={self.max_retries}, backoff_coefficient={self.backoff_coefficient:g},"
                f" initial_delay={self.initial_delay:g}, max_delay={self.max_delay:g})")

    def __eq__(self, other) -> bool:
        return isinstance(other, Retries) and repr(self) == repr(other)

    def __hash__(self) -> int:
        return hash(repr(self))

    def delay(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1 for the first)."""
        return min(self.max_delay, self.initial_delay * self.backoff_coefficient ** (retry - 1))

    @classmethod
    def of(cls, function_name: str, value) -> "Retries | None":
        """A function's ``retries=`` option as a Retries (None: no retries)."""
        if value is None:
            return None
        if isinstance(value, Retries):
            return value if value.max_retries else None
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidError(f"{function_name}: retries= takes a number of retries or leveret.Retries(...),"
                               f" e.g. retries=3, not {value!r}")
        if not 0 <= value <= MAX_RETRIES:
            raise InvalidError(f"{function_name}: retries={value} must be from 0 to {MAX_RETRIES}")
        return cls(max_retries=value, backoff_coefficient=1.0) if value else None


def _number(name: str, value, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise InvalidError(f"Retries({name}={value!r}) must be a number from {low:g} to {high:g}")
