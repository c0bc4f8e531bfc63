"""GPU types as Modal names them (``gpu="H100"``, ``"a100-80gb:2"``, ``"any"``), and which of the
types a worker offers (the model's short name, "H100": worker/gpus.py) each request runs on.

    "H100"      an H100, or an H200 (what Modal calls an upgrade)     "H100!"  an H100 only
    "A100"      an A100 of either memory size; "A100-40GB", "A100-80GB" that size (a worker whose
                NVML gave the memory says "A100-80GB"; one told only "A100" runs either)
    "A10"       the same as "A10G"                                    "B200+"  a B200 or a B300

A fallback list (``gpu=["H100", "A100-80GB"]``) travels as its types joined by commas, in its order:
a container goes to a worker of the first type that has room (``options``).
"""

from __future__ import annotations

# type -> (the types of workers it runs on, the most of it one container may have)
KNOWN: dict[str, tuple[frozenset, int]] = {
    "T4": (frozenset({"T4"}), 8),
    "L4": (frozenset({"L4"}), 8),
    "A10": (frozenset({"A10", "A10G"}), 4),
    "A10G": (frozenset({"A10", "A10G"}), 4),
    "L40S": (frozenset({"L40S"}), 8),
    "A100": (frozenset({"A100", "A100-40GB", "A100-80GB"}), 8),
    "A100-40GB": (frozenset({"A100", "A100-40GB"}), 8),
    "A100-80GB": (frozenset({"A100", "A100-80GB"}), 8),
    "RTX-PRO-6000": (frozenset({"RTX-PRO-6000"}), 8),
    "H100": (frozenset({"H100", "H200"}), 8),
    "H100!": (frozenset({"H100"}), 8),
    "H200": (frozenset({"H200"}), 8),
    "B200": (frozenset({"B200"}), 8),
    "B200+": (frozenset({"B200", "B300"}), 8),
}
MAX_COUNT = 8


class GpuError(ValueError):
    """A GPU request Leveret does not know; the message names the fix."""


def parse(value: str) -> tuple[str, int]:
    """``"TYPE"`` or ``"TYPE:N"``, any case: (the type in capitals, "" for "any"; the count)."""
    kind, colon, count = value.strip().partition(":")
    kind = kind.strip().upper()
    if colon and (not count.strip().isdigit() or not 1 <= int(count) <= MAX_COUNT):
        raise GpuError(f"gpu={value!r}: the count after ':' must be 1 to {MAX_COUNT}, e.g. gpu=\"H100:2\"")
    n = int(count) if colon else 1
    if kind == "ANY":
        return "", n
    if kind not in KNOWN:
        raise GpuError(f"gpu={value!r}: {kind or 'no type'} is not a GPU type Leveret knows; use one of"
                       f" {', '.join(KNOWN)} or \"any\", with \":N\" for N of them")
    most = KNOWN[kind][1]
    if n > most:
        raise GpuError(f"gpu={value!r}: a container gets at most {most} {kind} GPUs")
    return kind, n


def accepts(requested: str, offered: str) -> bool:
    """Whether a container asking for ``requested`` ("": any) runs on a worker offering ``offered``."""
    if not requested:
        return True
    runs_on = KNOWN.get(requested.upper())
    if runs_on is None:   # a type this server does not know (a newer client's): its own name only
        return offered.upper() == requested.upper()
    return offered.upper() in runs_on[0]


def options(gpu_type: str) -> list[str]:
    """The types a function's ``gpu_type`` (a fallback list joined by commas) asks for, in order."""
    return [t.strip().upper() for t in gpu_type.split(",")] if gpu_type else [""]
