"""What the worker tells a container's bootstrap in its environment: where its socket is, which
function it runs (none for a warm container: that comes in a Load frame) and its container id.
Standard library only: the bootstrap imports it.
"""

from __future__ import annotations

ENV_SOCKET = "LEVERET_CONTAINER_SOCKET"
ENV_FUNCTION = "LEVERET_FUNCTION_SPEC"   # "key=value" lines: module, name, mount_dir, serialized_path, max_inputs
ENV_CONTAINER_ID = "LEVERET_CONTAINER_ID"
# Seconds a container whose worker went away (its socket's end without a Stop) keeps trying to
# connect again, to the worker that takes its place on the same state directory: set where the
# worker can re-attach to its containers (OCI runtimes); absent, the socket's end ends it.
ENV_REJOIN = "LEVERET_REJOIN_S"


def parse_spec(text: str) -> dict:
    return dict(line.split("=", 1) for line in text.splitlines() if line)


def format_spec(spec: dict) -> str:
    return "".join(f"{k}={v}\n" for k, v in spec.items())
