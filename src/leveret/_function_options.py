"""Validation of ``@app.function(...)`` options.

Options Leveret implements are checked and kept; options that later work implements are
accepted by name (so Modal code reads the same) but refused with an error naming the option
whenever they are set — never silently ignored.
"""

from __future__ import annotations

from .exception import InvalidError, NotImplementedOptionError

DEFAULT_SCALEDOWN_WINDOW = 60
DEFAULT_TIMEOUT = 300          # seconds an input may run, as in Modal
MAX_TIMEOUT = 24 * 3600
MAX_SCALEDOWN_WINDOW = 24 * 3600

# option -> what brings it
NOT_YET = {
    "gpu": "GPU scheduling",
    "ephemeral_disk": "container resource limits",
    "volumes": "volumes",
    "network_file_systems": "volumes",
    "schedule": "schedules (Cron, Period) on deployed apps",
    "retries": "retries",
    "startup_timeout": "startup timeouts",
    "min_containers": "autoscaler settings",
    "buffer_containers": "autoscaler settings",
    "cloud": "cloud placement",
    "region": "region placement",
    "proxy": "proxies",
    "enable_memory_snapshot": "memory snapshots",
    "i6pn": "private networking",
    "single_use_containers": "single-use containers",
    "max_inputs": "single-use containers",
}


ZERO_IS_UNSET = {"retries", "min_containers", "buffer_containers"}   # Modal's defaults are 0


def _is_unset(option: str, value) -> bool:
    if value is None or value is False:
        return True
    if isinstance(value, (list, dict, tuple)) and not value:
        return True
    return option in ZERO_IS_UNSET and type(value) is int and value == 0


class FunctionOptions:
    """A function's validated options (a plain class: dataclasses would import inspect)."""

    __slots__ = ("serialized", "scaledown_window", "max_containers", "cpu", "memory_mb", "block_network", "image", "timeout", "secret_env")

    def __init__(self, *, serialized: bool = False, scaledown_window: int = DEFAULT_SCALEDOWN_WINDOW,
                 max_containers: int | None = None, cpu: float = 0.0, memory_mb: int = 0, block_network: bool = False,
                 image=None, timeout: float = DEFAULT_TIMEOUT, secret_env: dict | None = None):
        self.serialized = serialized
        self.scaledown_window = scaledown_window
        self.max_containers = max_containers
        self.cpu = cpu                    # cores, enforced as a CFS quota; 0 = no limit
        self.memory_mb = memory_mb        # MiB, a hard limit; 0 = no limit
        self.block_network = block_network
        self.image = image                # an Image, or None for the default image
        self.timeout = timeout            # seconds one input may run before its container is stopped
        self.secret_env = secret_env or {}  # environment from the function's secrets

    def _values(self) -> tuple:
        return tuple(getattr(self, k) for k in self.__slots__)

    def __eq__(self, other) -> bool:
        return isinstance(other, FunctionOptions) and self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        return "FunctionOptions(" + ", ".join(f"{k}={v!r}" for k, v in zip(self.__slots__, self._values())) + ")"


def _limit(function_name: str, option: str, value, kind, example: str):
    """Modal takes a number or a (request, limit) pair; the limit is what a cgroup enforces."""
    if value is None:
        return kind(0)
    if isinstance(value, tuple) and len(value) == 2:
        value = value[1]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0 \
            or (kind is int and value != int(value)):
        raise InvalidError(f"{function_name}: {option}={value!r} must be a positive number or a (request, limit)"
                           f" pair, e.g. {option}={example}")
    return kind(value)


def validate(function_name: str, *, serialized, scaledown_window, max_containers, cpu=None, memory=None,
             block_network=False, image=None, timeout=None, secrets=None, unset: dict) -> FunctionOptions:
    for option, value in unset.items():
        if not _is_unset(option, value):
            raise NotImplementedOptionError(
                f"@app.function({option}=...) on {function_name!r} is not supported yet (it comes with"
                f" {NOT_YET[option]}); remove `{option}=` to run the function without it"
            )
    if not isinstance(serialized, bool):
        raise InvalidError(f"{function_name}: serialized must be True or False, not {serialized!r}")
    if scaledown_window is None:
        scaledown_window = DEFAULT_SCALEDOWN_WINDOW
    if isinstance(scaledown_window, bool) or not isinstance(scaledown_window, int) or not 1 <= scaledown_window <= MAX_SCALEDOWN_WINDOW:
        raise InvalidError(
            f"{function_name}: scaledown_window={scaledown_window!r} must be a whole number of seconds"
            f" from 1 to {MAX_SCALEDOWN_WINDOW}, e.g. scaledown_window=60"
        )
    if max_containers is not None and (isinstance(max_containers, bool) or not isinstance(max_containers, int) or max_containers < 1):
        raise InvalidError(f"{function_name}: max_containers={max_containers!r} must be a positive integer, e.g. max_containers=10")
    from .image import Image
    from .secret import merged_env

    if timeout is None:
        timeout = DEFAULT_TIMEOUT
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= MAX_TIMEOUT:
        raise InvalidError(f"{function_name}: timeout={timeout!r} must be seconds, more than 0 and at most"
                           f" {MAX_TIMEOUT}, e.g. timeout=600")

    if image is not None and not isinstance(image, Image):
        raise InvalidError(f"{function_name}: image= takes a leveret.Image, e.g. image=leveret.Image.debian_slim(), not {image!r}")
    if not isinstance(block_network, bool):
        raise InvalidError(f"{function_name}: block_network must be True or False, not {block_network!r}")
    return FunctionOptions(serialized=serialized, scaledown_window=scaledown_window, max_containers=max_containers,
                           cpu=_limit(function_name, "cpu", cpu, float, "2.0"),
                           memory_mb=_limit(function_name, "memory", memory, int, "512 (MiB)"),
                           block_network=block_network, image=image, timeout=float(timeout),
                           secret_env=merged_env(secrets))
