#!/usr/bin/env bash
# The GPU check, for a host with an NVIDIA GPU and its driver, as root, without network:
#
#   sudo scripts/gpu_check.sh            # process runtime, then crun; prints JSON, exits 0 if both pass
#   sudo scripts/gpu_check.sh crun       # one runtime
#
# It uses the project's virtual environment when there is one (scripts/dev makes it), else the
# host's python3 with the project's source (it then needs Leveret's dependencies installed there).
# crun containers run on the default image: built once per machine with mmdebstrap (which needs a
# Debian mirror), or unpacked from LEVERET_GPU_CHECK_IMAGE, a .tar.zst of a built image's directory
# (under /var/cache/leveret/images on a machine that has one) for hosts without network.
# torch is timed where it imports: in the container (the process runtime: the host's Python).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
python=${PYTHON:-$root/.venv/bin/python}
[ -x "$python" ] || python=python3
export PYTHONPATH="$root/src${PYTHONPATH:+:$PYTHONPATH}"
export LEVERET_HOME=${LEVERET_HOME:-$(mktemp -d)}

if [ -n "${LEVERET_GPU_CHECK_IMAGE:-}" ]; then
    cache=${LEVERET_IMAGE_CACHE:-/var/cache/leveret/images}
    mkdir -p "$cache" && chmod 700 "$cache"
    tar --zstd -xf "$LEVERET_GPU_CHECK_IMAGE" -C "$cache"
fi

cd "$root/scripts"
exec timeout 300 "$python" gpu_check.py "$@"
