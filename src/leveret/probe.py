"""Modal's ``modal.Probe``: how a sandbox says it is ready (``Sandbox.create(readiness_probe=...)``,
then ``sandbox.wait_until_ready()``).

    leveret.Probe.with_tcp(8000)                    # ready once something listens on port 8000 in it
    leveret.Probe.with_exec("test", "-f", "/ready") # ready once this command exits 0 in it

The server runs the probe in the sandbox every ``interval_ms`` until it passes.
"""

from __future__ import annotations

from .exception import InvalidError


class Probe:
    def __init__(self, *, tcp_port: int = 0, argv: tuple[str, ...] = (), interval_ms: int = 100):
        self.tcp_port, self.argv, self.interval_ms = tcp_port, argv, interval_ms

    def __repr__(self) -> str:
        how = f"with_tcp({self.tcp_port})" if self.tcp_port else f"with_exec{self.argv!r}"
        return f"Probe.{how}"

    @staticmethod
    def _interval(interval_ms) -> int:
        if isinstance(interval_ms, bool) or not isinstance(interval_ms, int) or not 10 <= interval_ms <= 600_000:
            raise InvalidError(f"interval_ms is a whole number of milliseconds from 10 to 600000, not {interval_ms!r}")
        return interval_ms

    @classmethod
    def with_tcp(cls, port: int, *, interval_ms: int = 100) -> "Probe":
        """Ready once something in the sandbox listens on TCP ``port``."""
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
            raise InvalidError(f"Probe.with_tcp takes a port from 1 to 65535, not {port!r}")
        return cls(tcp_port=port, interval_ms=cls._interval(interval_ms))

    @classmethod
    def with_exec(cls, *argv: str, interval_ms: int = 100) -> "Probe":
        """Ready once ``argv`` exits 0 in the sandbox."""
        if not argv or not all(isinstance(a, str) for a in argv):
            raise InvalidError("Probe.with_exec takes the command's arguments as strings, e.g."
                               " Probe.with_exec(\"test\", \"-f\", \"/ready\")")
        return cls(argv=tuple(argv), interval_ms=cls._interval(interval_ms))


__all__ = ["Probe"]
