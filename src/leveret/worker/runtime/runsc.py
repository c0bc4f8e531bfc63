"""runsc: gVisor's OCI runtime. Its own kernel (the Sentry) runs the container's processes, so it is
told some things through flags rather than config.json, and needs less of the config:

- network: the Sentry has its own network stack, chosen by ``--network``, not by a network
  namespace in config.json: ``host`` uses the host's stack (its sandboxed stack, the default, will not
  run in the host's namespace), ``none`` gives the container a loopback of its own and nothing else,
  a private network runs its sandboxed stack in the namespace made for it (not tried here: no gVisor);
- the bootstrap's socket is a host unix socket bind-mounted in: connecting to one needs ``--host-uds=open``;
- writes go through to the bundle's overlay root (``--overlay2=none``), so they land on the
  container's disk and stop at its size, as with crun, instead of gVisor's in-memory overlay;
- no seccomp profile: runsc would ignore it (unless ``--oci-seccomp``); the system call boundary
  is its Sentry, itself confined by gVisor's own host filter;
- cgroups: runsc puts its sandbox at the config's cgroupsPath with its limits, as crun does;
- devices: it cannot pass host devices through (it serves /dev itself; GPUs need its nvproxy,
  not supported here), so it refuses a spec that asks for any;
- ``--platform`` (systrap, ptrace, kvm): how the Sentry intercepts system calls; "" is runsc's default.
"""

from __future__ import annotations

import os

from .base import ContainerSpec, DeviceNode
from .oci import PID_FILE, OciRuntime

# a NetworkSpec's mode -> runsc's --network ("sandbox": gVisor's own stack in the namespace config.json names)
NETWORK_FLAG = {"host": "host", "none": "none", "private": "sandbox"}


class RunscRuntime(OciRuntime):
    name = "runsc"
    install_hint = "install gVisor, which ships it (gvisor.dev/docs/user_guide/install)"
    exec_agents = False   # (its exec runs in gVisor's own kernel as it is)
    exec_flags = ()   # no --no-new-privs on its exec: the command stays inside gVisor's own kernel
    reattaches = False   # (not tried: its sandbox's stdio and gofer are its own)

    def __init__(self, state_dir: str, *, platform: str = "", **kwargs):
        super().__init__(state_dir, **kwargs)
        self.platform = platform

    def describe(self) -> str:
        return f"runsc (gVisor, platform {self.platform or 'default'}; cgroup {self.cgroup_mode})"

    def flags(self) -> list[str]:
        """Flags every runsc command gets (they come before its verb)."""
        return ["--host-uds=open", "--overlay2=none", *([f"--platform={self.platform}"] if self.platform else [])]

    def command(self, *args: str) -> list[str]:
        return [self.path, *self.flags(), *args]

    def run_command(self, spec: ContainerSpec, bundle: str) -> list[str]:
        return [self.path, *self.flags(), f"--network={NETWORK_FLAG[spec.network.mode]}",
                "run", "--bundle", bundle, f"--pid-file={os.path.join(bundle, PID_FILE)}", spec.container_id]

    supports_userns = False   # (its Sentry is the boundary; user namespaces inside it are its own)

    def config(self, spec: ContainerSpec, devices: list[DeviceNode] = (), netns: str = "") -> dict:
        config = super().config(spec, devices, netns)
        del config["linux"]["seccomp"]
        return config

    def refuse(self, spec: ContainerSpec) -> str:
        if spec.network.mode not in NETWORK_FLAG:
            return f"the runsc runtime has no network mode {spec.network.mode!r}: run the worker with --runtime crun"
        if spec.devices:
            return (f"the runsc runtime cannot pass host devices into its sandbox ({', '.join(spec.devices)}): gVisor"
                    " serves /dev itself. Run the worker with --runtime crun or runc for this function")
        return ""

