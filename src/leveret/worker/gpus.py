"""The GPUs of this host, as the worker offers them to the scheduler."""

from __future__ import annotations

import shutil
import subprocess


def detect() -> tuple[int, str]:
    """(count, type) of NVIDIA GPUs as nvidia-smi lists them; (0, "") without it. The type is the
    model's short name, e.g. "NVIDIA H100 80GB HBM3" -> "H100" (what functions ask for)."""
    if shutil.which("nvidia-smi") is None:
        return 0, ""
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"], capture_output=True,
                             text=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return 0, ""
    names = [line.strip() for line in out.splitlines() if line.strip()]
    return len(names), short_name(names[0]) if names else ""


VENDOR_WORDS = {"NVIDIA", "TESLA", "GEFORCE", "QUADRO", "RTX"}


def short_name(name: str) -> str:
    words = [w for w in name.upper().split() if w not in VENDOR_WORDS]
    return words[0].split("-")[0] if words else ""
