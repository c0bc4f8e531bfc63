"""Validation of ``@app.function(...)`` options.

Options Leveret implements are checked and kept; options that later work implements are
accepted by name (so Modal code reads the same) but refused with an error naming the option
whenever they are set — never silently ignored.
"""

from __future__ import annotations

from ._shared import gpus
from .exception import InvalidError, NotImplementedOptionError

DEFAULT_SCALEDOWN_WINDOW = 60
DEFAULT_TIMEOUT = 300          # seconds an input may run, as in Modal
MAX_TIMEOUT = 24 * 3600
MAX_SCALEDOWN_WINDOW = 24 * 3600
MAX_STARTUP_TIMEOUT = 24 * 3600
MAX_KEPT_CONTAINERS = 1000     # min_containers, buffer_containers
MAX_EPHEMERAL_DISK = 3 * 1024 * 1024   # MiB (3 TiB)

# option -> what brings it
NOT_YET = {
    "network_file_systems": "network file systems (Modal's older shared disks: use volumes=)",
    "cloud": "cloud placement",
    "proxy": "proxies",
    "enable_memory_snapshot": "memory snapshots",
    "i6pn": "private networking",
    "single_use_containers": "single-use containers",
    "max_inputs": "single-use containers",
}


def _is_unset(value) -> bool:
    return value is None or value is False or (isinstance(value, (list, dict, tuple)) and not value)


class FunctionOptions:
    """A function's validated options (a plain class: dataclasses would import inspect)."""

    __slots__ = ("serialized", "scaledown_window", "max_containers", "cpu", "memory_mb", "block_network", "image",
                 "timeout", "secrets", "cpu_request", "memory_request_mb", "retries", "startup_timeout",
                 "min_containers", "buffer_containers", "max_inputs", "target_inputs", "region", "schedule",
                 "gpu_type", "gpu_count", "ephemeral_disk_mb", "batch_max_size", "batch_wait_ms", "volumes", "web")

    def __init__(self, *, serialized: bool = False, scaledown_window: int = DEFAULT_SCALEDOWN_WINDOW,
                 max_containers: int | None = None, cpu: float = 0.0, memory_mb: int = 0, block_network: bool = False,
                 image=None, timeout: float = DEFAULT_TIMEOUT, secrets=(),
                 cpu_request: float = 0.0, memory_request_mb: int = 0, retries=None, startup_timeout: float = 0.0,
                 min_containers: int = 0, buffer_containers: int = 0, max_inputs: int = 1, target_inputs: int = 1,
                 region: str = "", schedule=None, gpu_type: str = "", gpu_count: int = 0, ephemeral_disk_mb: int = 0,
                 batch_max_size: int = 0, batch_wait_ms: int = 0, volumes=(), web=None):
        self.web = web                    # a web.WebConfig: it answers HTTP requests (web.py); None: not a web function
        self.volumes = volumes            # ((path, Volume or CloudBucketMount), ...) in path order
        self.serialized = serialized
        self.scaledown_window = scaledown_window
        self.max_containers = max_containers
        self.cpu = cpu                    # cores, enforced as a CFS quota; 0 = no limit
        self.memory_mb = memory_mb        # MiB, a hard limit; 0 = no limit
        self.block_network = block_network
        self.image = image                # an Image, or None for the default image
        self.timeout = timeout            # seconds one input may run before its container is stopped
        self.secrets = tuple(secrets)     # its Secrets, later ones winning (their ids go in its definition)
        self.cpu_request = cpu_request    # cores the scheduler reserves; 0 = the server's default
        self.memory_request_mb = memory_request_mb
        self.retries = retries            # a Retries, or None
        self.startup_timeout = startup_timeout   # seconds from start to ready; 0 = the worker's default
        self.min_containers = min_containers
        self.buffer_containers = buffer_containers
        self.max_inputs = max_inputs      # inputs one container runs at once (@concurrent)
        self.target_inputs = target_inputs
        self.region = region              # a worker label the function needs: region=<this>
        self.schedule = schedule          # a Cron or Period (deployed apps run it)
        self.gpu_type = gpu_type          # "" = any type
        self.gpu_count = gpu_count
        self.ephemeral_disk_mb = ephemeral_disk_mb   # MiB of writable layer and /tmp; 0 = the worker's default
        self.batch_max_size = batch_max_size   # @batched: inputs per call; 0 = not batched
        self.batch_wait_ms = batch_wait_ms

    def _values(self) -> tuple:
        return tuple(getattr(self, k) for k in self.__slots__)

    def __eq__(self, other) -> bool:
        return isinstance(other, FunctionOptions) and self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        return "FunctionOptions(" + ", ".join(f"{k}={v!r}" for k, v in zip(self.__slots__, self._values())) + ")"


def _limit(function_name: str, option: str, value, kind, example: str) -> tuple:
    """Modal takes a number or a (request, limit) pair: the request is what the scheduler reserves,
    the limit what a cgroup enforces; one number is both. Returns (request, limit)."""
    if value is None:
        return kind(0), kind(0)
    pair = value if isinstance(value, tuple) and len(value) == 2 else (value, value)
    for v in pair:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0 or (kind is int and v != int(v)):
            raise InvalidError(f"{function_name}: {option}={value!r} must be a positive number or a (request, limit)"
                               f" pair, e.g. {option}={example}")
    if pair[0] > pair[1]:
        raise InvalidError(f"{function_name}: {option}={value!r} asks for more than its limit: use (request, limit)"
                           f" with request <= limit")
    return kind(pair[0]), kind(pair[1])


# Where a volume cannot go: what the container's system needs there.
SYSTEM_PATHS = ("/proc", "/sys", "/dev", "/etc", "/usr", "/bin", "/sbin", "/lib", "/lib64", "/run", "/tmp")


def check_volumes(function_name: str, value) -> tuple:
    """``volumes={"/data": vol, "/bucket": leveret.CloudBucketMount(...)}``: ((path, Volume or
    CloudBucketMount), ...), each path absolute, none inside another."""
    import posixpath

    if not value:
        return ()
    from .cloud_bucket_mount import CloudBucketMount
    from .volume import Volume

    if not isinstance(value, dict):
        raise InvalidError(f"{function_name}: volumes= takes a dict of paths to volumes, e.g."
                           f" volumes={{'/data': leveret.Volume.from_name('data')}}, not {value!r}")
    mounts = []
    for path, vol in value.items():
        if not isinstance(path, str) or not path.startswith("/"):
            raise InvalidError(f"{function_name}: volumes= paths are absolute, e.g. '/data', not {path!r}")
        norm = posixpath.normpath(path)
        if norm == "/" or any(norm == p or norm.startswith(p + "/") for p in SYSTEM_PATHS):
            raise InvalidError(f"{function_name}: a volume cannot be mounted at {path!r}: the container's system is"
                               " there; choose a path of its own, e.g. '/data'")
        if not isinstance(vol, (Volume, CloudBucketMount)):
            raise InvalidError(f"{function_name}: volumes={{{path!r}: ...}} takes a leveret.Volume, e.g."
                               f" leveret.Volume.from_name('data', create_if_missing=True), or a"
                               f" leveret.CloudBucketMount('my-bucket', secret=...), not {vol!r}")
        mounts.append((norm, vol))
    mounts.sort(key=lambda m: m[0])
    for (a, _), (b, _) in zip(mounts, mounts[1:]):
        if b == a or b.startswith(a + "/"):
            raise InvalidError(f"{function_name}: volumes at {a!r} and {b!r}: one is inside the other; mount them apart")
    return tuple(mounts)


def _gpu(function_name: str, value) -> tuple[str, int]:
    """Modal's ``gpu="H100"``, ``"A100:2"``, ``"any"``: (type, "" for any, count); _shared/gpus.py."""
    if value is None:
        return "", 0
    if isinstance(value, (list, tuple)):   # fallbacks, in order: _shared/gpus.options
        if not value:
            raise InvalidError(f"{function_name}: gpu=[] is empty: give one type or more, e.g. gpu=[\"H100\", \"A100-80GB\"]")
        asked = [_gpu(function_name, each) for each in value]
        if len({n for _, n in asked}) > 1:
            raise NotImplementedOptionError(f"{function_name}: gpu={list(value)!r}: a fallback list whose entries ask"
                                            " for different counts is not supported yet; ask for the same count in"
                                            " each, e.g. gpu=[\"H100:2\", \"A100-80GB:2\"]")
        if any(not kind for kind, _ in asked):
            return "", asked[0][1]   # "any" takes whatever the others would
        return ",".join(dict.fromkeys(kind for kind, _ in asked)), asked[0][1]
    if not isinstance(value, str) or not value.strip():
        raise InvalidError(f"{function_name}: gpu= takes a GPU type and count, e.g. gpu=\"H100\" or gpu=\"A100:2\","
                           f" not {value!r}")
    try:
        return gpus.parse(value)
    except gpus.GpuError as exc:
        raise InvalidError(f"{function_name}: {exc}") from None


def _disk(function_name: str, value) -> int:
    """Modal's ``ephemeral_disk=``: MiB for the container's writable layer and /tmp."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_EPHEMERAL_DISK:
        raise InvalidError(f"{function_name}: ephemeral_disk={value!r} must be a whole number of MiB, more than 0"
                           f" and at most {MAX_EPHEMERAL_DISK} (3 TiB), e.g. ephemeral_disk=20480 for 20 GiB")
    return value


def _count(function_name: str, option: str, value, high: int) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
        raise InvalidError(f"{function_name}: {option}={value!r} must be a whole number from 0 to {high}")
    return value


def validate(function_name: str, *, serialized, scaledown_window, max_containers, cpu=None, memory=None,
             block_network=False, image=None, timeout=None, secrets=None, retries=None, startup_timeout=None,
             min_containers=None, buffer_containers=None, concurrency=(1, 1), region=None, schedule=None,
             gpu=None, ephemeral_disk=None, batching=(0, 0), volumes=None, web=None, unset: dict) -> FunctionOptions:
    for option, value in unset.items():
        if not _is_unset(value):
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
    from .secret import check_secrets

    if timeout is None:
        timeout = DEFAULT_TIMEOUT
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= MAX_TIMEOUT:
        raise InvalidError(f"{function_name}: timeout={timeout!r} must be seconds, more than 0 and at most"
                           f" {MAX_TIMEOUT}, e.g. timeout=600")

    if startup_timeout is not None and (isinstance(startup_timeout, bool) or not isinstance(startup_timeout, (int, float))
                                        or not 0 < startup_timeout <= MAX_STARTUP_TIMEOUT):
        raise InvalidError(f"{function_name}: startup_timeout={startup_timeout!r} must be seconds, more than 0 and at"
                           f" most {MAX_STARTUP_TIMEOUT}, e.g. startup_timeout=300")
    min_containers = _count(function_name, "min_containers", min_containers, MAX_KEPT_CONTAINERS)
    buffer_containers = _count(function_name, "buffer_containers", buffer_containers, MAX_KEPT_CONTAINERS)
    if max_containers is not None and min_containers > max_containers:
        raise InvalidError(f"{function_name}: min_containers={min_containers} is more than"
                           f" max_containers={max_containers}: lower one or raise the other")
    if region is not None and (not isinstance(region, str) or not region.strip()):
        raise InvalidError(f"{function_name}: region= takes the name of a region workers are labelled with"
                           f" (leveret worker --label region=NAME), e.g. region=\"eu-north\", not {region!r}")
    from .retries import Retries
    from .schedule import Schedule

    if schedule is not None and not isinstance(schedule, Schedule):
        raise InvalidError(f"{function_name}: schedule= takes leveret.Cron(\"0 6 * * *\") or leveret.Period(hours=1),"
                           f" not {schedule!r}")
    if image is not None and not isinstance(image, Image):
        raise InvalidError(f"{function_name}: image= takes a leveret.Image, e.g. image=leveret.Image.debian_slim(), not {image!r}")
    if not isinstance(block_network, bool):
        raise InvalidError(f"{function_name}: block_network must be True or False, not {block_network!r}")
    if batching[0] and concurrency[0] > 1:
        raise InvalidError(f"{function_name}: @leveret.batched and @leveret.concurrent do not go together: a batch"
                           " is already many inputs in one call; keep one of them")
    gpu_type, gpu_count = _gpu(function_name, gpu)
    cpu_request, cpu_limit = _limit(function_name, "cpu", cpu, float, "2.0")
    memory_request, memory_limit = _limit(function_name, "memory", memory, int, "512 (MiB)")
    return FunctionOptions(serialized=serialized, scaledown_window=scaledown_window, max_containers=max_containers,
                           cpu=cpu_limit, memory_mb=memory_limit, cpu_request=cpu_request,
                           memory_request_mb=memory_request, block_network=block_network, image=image,
                           timeout=float(timeout), secrets=check_secrets(secrets),
                           retries=Retries.of(function_name, retries), startup_timeout=float(startup_timeout or 0),
                           min_containers=min_containers, buffer_containers=buffer_containers,
                           max_inputs=concurrency[0], target_inputs=concurrency[1], region=region or "",
                           schedule=schedule, gpu_type=gpu_type, gpu_count=gpu_count,
                           ephemeral_disk_mb=_disk(function_name, ephemeral_disk), batch_max_size=batching[0],
                           batch_wait_ms=batching[1], volumes=check_volumes(function_name, volumes),
                           web=_web(function_name, web, batching, schedule))


def _web(function_name: str, web, batching, schedule):
    """A web function's config (web.py), checked against the options it cannot go with."""
    if web is None:
        return None
    if batching[0]:
        raise InvalidError(f"{function_name}: a web function cannot be @batched: each request is one input")
    if schedule is not None:
        raise InvalidError(f"{function_name}: a web function answers requests; a schedule= belongs on another function")
    return web
