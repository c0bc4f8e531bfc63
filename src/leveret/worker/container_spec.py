"""What a container starts with: the ContainerSpec a runtime runs (the bootstrap, its environment,
mounts and limits), and its function's spec and code, which the bootstrap reads beside it on a
cold start, or which a warm container gets in a Load frame.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from .._shared.egress import allowed_cidrs
from ..container import protocol
from ..container.preimport import ENV_PREIMPORT
from .model import Definition, SandboxStart
from .runtime import ContainerSpec, Mount, NetworkSpec, cdi
from .runtime.cdi import Edits

if TYPE_CHECKING:
    from .agent import Agent


def function_spec(d: Definition) -> dict:
    """What the bootstrap needs to know of a function besides its code."""
    spec = {"module": d.module, "name": d.class_name or d.import_name or d.name}
    if d.max_inputs > 1:
        spec["max_inputs"] = str(d.max_inputs)
    if d.batch_max_size:   # @batched: its inputs run as lists, a batch at a time
        spec["batch_max_size"], spec["batch_wait_ms"] = str(d.batch_max_size), str(d.batch_wait_ms)
    if d.class_name:   # an @app.cls: an instance with these parameters, its @enter run, runs each input's method
        spec["cls"] = "1"
        spec["params"] = d.params
    for name, value in d.web:   # a web function: each input is an HTTP request (container/web.py)
        spec["web_" + name] = value
    if d.web_methods:   # an @app.cls's web methods: an input naming one is an HTTP request
        spec["web_methods"] = d.web_methods
    return spec


async def code_on_disk(agent: "Agent", d: Definition, directory: str) -> dict:
    """The function's spec, its code where a cold container reads it: its pickle written in
    ``directory``, its module's mount fetched (cached per worker)."""
    spec = function_spec(d)
    if d.serialized_function:
        path = os.path.join(directory, "function.pkl")
        with open(path, "wb") as f:
            f.write(d.serialized_function)
        spec["serialized_path"] = path
    if d.mount_id:
        spec["mount_dir"] = await agent.mount_dir(d.mount_id)
    return spec


async def code_files(agent: "Agent", d: Definition) -> tuple[dict, list[tuple[str, bytes]]]:
    """The function's spec and code files, for a warm container to write where it likes."""
    spec = function_spec(d)
    if d.serialized_function:
        spec["serialized"] = "1"
        return spec, [("function.pkl", d.serialized_function)]
    root = await agent.mount_dir(d.mount_id)
    files = []
    for dirpath, _, names in os.walk(root):
        for n in names:
            with open(os.path.join(dirpath, n), "rb") as f:
                files.append((os.path.relpath(os.path.join(dirpath, n), root), f.read()))
    return spec, files


def container_spec(container_id: str, d: Definition | None, *, bootstrap: tuple[list[str], dict[str, str]],
                   directory: str, socket_path: str, fn_spec: dict | None, image, gpu: Edits = Edits(),
                   pids_limit: int, volumes: list[Mount] = (), preimport: tuple[str, ...] = (),
                   private: bool = False, userns: bool = False, rejoin_s: float = 0) -> ContainerSpec:
    """What to start: the ``bootstrap`` command (argv, environment) on ``image`` (None: the host's
    root), for function ``d`` (None, and ``fn_spec`` None: a warm container, whose function comes
    later), with the ``gpu`` edits of the GPUs it holds (runtime/cdi.py), ``directory`` and the
    socket's mounted at the same paths, and ``volumes`` (the worker's directories of its volumes)
    at theirs; a warm container imports
    ``preimport`` before it says it is up. With ``private`` its network is a namespace of its own,
    out through its host's NAT, reaching neither the host nor other containers (else the host's);
    block_network=True: loopback only. With ``userns`` its root is an unprivileged uid outside
    (not with bucket mounts: a FUSE mount cannot be idmapped). With ``rejoin_s`` its bootstrap
    connects again to its socket for that long if its worker goes away (reattach.py)."""
    argv, env = bootstrap
    if d is not None:
        env = {**d.secret_env, **env}
    if image is not None:
        paths = [p for p in (env.get("PYTHONPATH"), image.env.get("PYTHONPATH")) if p]
        env = {**image.env, **env, **({"PYTHONPATH": ":".join(paths)} if paths else {})}
    env.update({
        protocol.ENV_SOCKET: socket_path,
        protocol.ENV_CONTAINER_ID: container_id,
        "PYTHONUNBUFFERED": "1",
    })
    if fn_spec is not None:
        env[protocol.ENV_FUNCTION] = protocol.format_spec(fn_spec)
    if preimport:
        env[ENV_PREIMPORT] = ",".join(preimport)
    if rejoin_s:
        env[protocol.ENV_REJOIN] = f"{rejoin_s:g}"
    env = cdi.apply(gpu, env)
    # Host paths appear at the same paths inside the container, so the spec's paths hold there too.
    socket_dir = os.path.dirname(socket_path)
    mounts = [Mount(socket_dir, socket_dir, read_only=False), Mount(directory, directory)]
    if fn_spec and fn_spec.get("mount_dir"):
        mounts.append(Mount(fn_spec["mount_dir"], fn_spec["mount_dir"]))
    mounts += [*volumes, *gpu.mounts]
    if d is None:
        d = Definition()
    return ContainerSpec(container_id, argv, env, directory, mounts, cpu=d.cpu, memory_mb=d.memory_mb,
                         network=NetworkSpec("none" if d.block_network else "private" if private else "host"),
                         pids_limit=pids_limit, userns=userns and not d.bucket_mounts,
                         disk_mb=d.ephemeral_disk_mb, rootfs=image.lowerdir if image else "",
                         cwd=image.workdir if image else "/", devices=list(gpu.devices), hooks=gpu.hooks)


def sandbox_spec(container_id: str, d: Definition, sandbox: SandboxStart, *, argv: list[str], directory: str,
                 image, gpu: Edits = Edits(), pids_limit: int, volumes: list[Mount] = (), private: bool = True,
                 userns: bool = True) -> ContainerSpec:
    """What a sandbox's container starts: its command ``argv`` (as the runtime wraps it), in
    ``sandbox.workdir`` (default: the image's), with the image's environment, its secrets' and its
    own; stdin piped. No socket of the worker's is mounted into it: code in a sandbox makes no calls.
    Its network: none (block_network), else a ``private`` one (where the runtime isolates: it reaches
    neither the host nor other containers), limited to its egress allowlist if it has one. With
    ``userns`` (where the runtime can), its root is an unprivileged uid outside."""
    env = cdi.apply(gpu, {**(image.env if image is not None else {}), **d.secret_env, **sandbox.env})
    cwd = sandbox.workdir or (image.workdir if image else "/")
    return ContainerSpec(container_id, argv, env, sandbox.workdir or directory, [*volumes, *gpu.mounts], cpu=d.cpu,
                         memory_mb=d.memory_mb, network=_sandbox_network(d, sandbox, private),
                         pids_limit=pids_limit, disk_mb=d.ephemeral_disk_mb, rootfs=image.lowerdir if image else "",
                         cwd=cwd, stdin=True, userns=userns and not d.bucket_mounts, devices=list(gpu.devices),
                         hooks=gpu.hooks)


def _sandbox_network(d: Definition, sandbox: SandboxStart, private: bool) -> NetworkSpec:
    if d.block_network:
        return NetworkSpec("none")
    if sandbox.outbound:   # its tls and https routes kept by its egress proxy, the rest by its allowlist
        return NetworkSpec("private", allowed_cidrs(sandbox.outbound), None, sandbox.outbound)
    limited = sandbox.egress is not None or sandbox.domains is not None
    if private or limited:   # (an allowlist where it cannot be kept: refused by the runtime)
        return NetworkSpec("private", sandbox.egress, sandbox.domains)
    return NetworkSpec("host")
