"""``leveret worker``: join this host to a server and run its containers."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys

import click

from .. import config
from ..exception import Error
from .._shared.aio import run_loop
from .._shared.listen import check_listen

log = logging.getLogger("leveret.worker")


@click.command()
@click.option("--server", "server_url", required=True, envvar="LEVERET_SERVER_URL", help="The server, e.g. http://10.0.0.5:7070.")
@click.option("--token", required=True, envvar="LEVERET_TOKEN", help="This worker's token (lvw_…, from `leveret token create NAME` where the server runs).")
@click.option("--runtime", type=click.Choice(["auto", "crun", "runc", "runsc", "process"]), default="auto",
              show_default=True, help="Container runtime: crun, runc or gVisor's runsc (isolated; root), process (no"
                                      " isolation), or auto: crun where it can run, else process.")
@click.option("--workdir", default=None, help="Where the worker keeps code and containers (default: $LEVERET_HOME/worker).")
@click.option("--max-containers", type=click.IntRange(min=1), default=None, help="Most containers at once (default: 4 per CPU, at least 8).")
@click.option("--warm-containers", type=click.IntRange(min=0), default=1, show_default=True,
              help="Containers kept started on the default image, so a new function skips the cold start.")
@click.option("--warm-sandboxes", type=click.IntRange(min=0), default=2, show_default=True,
              help="Sandbox containers kept started like the last sandbox (image, cpu, memory), waiting for a"
                   " command, so a Sandbox.create skips the cold start (crun, runc, runsc).")
@click.option("--label", "labels", multiple=True, metavar="KEY=VALUE",
              help="A label functions can select, e.g. --label region=eu-north (for region=\"eu-north\"). Repeatable.")
@click.option("--gpus", type=click.IntRange(min=0), default=None,
              help="GPUs this host offers, numbered from 0 (default: those NVML finds, else none).")
@click.option("--gpu-type", default=None, help="Their type, e.g. H100 (default: NVML's model name, shortened).")
@click.option("--cdi-dir", "cdi_dirs", multiple=True, metavar="DIR",
              help="Where the GPUs' CDI spec is (as `nvidia-ctk cdi generate` writes it) for isolated containers;"
                   " repeatable (default: /etc/cdi and /var/run/cdi). Without one, the driver's files are found here.")
@click.option("--container-disk", "container_disk", type=click.IntRange(min=1), default=None, metavar="MB",
              help="A container's disk (its writable layer and /tmp) when its function sets no ephemeral_disk="
                   " (default: 10240 MiB, less if --max-containers of them would not fit beside the reserve).")
@click.option("--disk-reserve", "disk_reserve", type=click.IntRange(min=0), default=None, metavar="MB",
              help="MiB of the workdir's disk kept free for the worker: no new container starts that would leave"
                   " less, counting what running containers may still write to their disks (default: 2048).")
@click.option("--metrics", "metrics_listen", default="", metavar="HOST:PORT", callback=check_listen,
              help="Serve Prometheus metrics (containers' CPU and memory, ...) at http://HOST:PORT/metrics, for"
                   " requests with 'Authorization: Bearer <the --token>'. Off by default.")
@click.option("--wait-for-workdir", type=click.FloatRange(min=0), default=0, metavar="SECONDS",
              help="If another worker runs on the workdir, wait up to this long for it to exit (default: refuse at once).")
@click.option("--chunks-over-rpc", is_flag=True, default=False,
              help="Send and fetch Volumes' chunks through the server's RPCs even where its chunk store is on this"
                   " host's disk (by default a worker there reads and writes the store directly).")
@click.option("--host-network", is_flag=True, default=False,
              help="Run functions' containers on this host's network, as the process runtime does (by default"
                   " crun, runc and runsc give each its own, out through NAT, reaching neither this host's ports"
                   " nor other containers): for functions that must reach services on this host's loopback.")
@click.option("--user-namespace/--no-user-namespace", "user_namespace", default=True, show_default=True,
              help="Run functions' containers (crun) in a user namespace: root inside is an unprivileged uid"
                   " outside. --no-user-namespace: root inside is root outside, for an image that cannot work in"
                   " one (it needs setuid binaries or file capabilities of the host's ids, or its layers are on a"
                   " filesystem without idmapped mounts); sandboxes keep theirs.")
@click.option("--ca", default=None, envvar="LEVERET_CA", metavar="FILE",
              help="The CA certificate (PEM) that signed an https:// server's certificate (the server's --tls-cert),"
                   " when it is not one the system trusts.")
@click.option("--exit-with-parent", "parent_pid", type=int, default=None, hidden=True,
              help="Stop (as on SIGTERM) when the process PID, which started this one, ends: the embedded daemon's worker.")
def worker(server_url: str, token: str, runtime: str, workdir: str | None, max_containers: int | None,
           warm_containers: int, warm_sandboxes: int, labels: tuple[str, ...], gpus: int | None,
           gpu_type: str | None, cdi_dirs: tuple[str, ...], container_disk: int | None, disk_reserve: int | None,
           metrics_listen: str,           wait_for_workdir: float, chunks_over_rpc: bool, host_network: bool, user_namespace: bool,
           ca: str | None, parent_pid: int | None) -> None:
    """Run containers for the server at --server; when the link to it breaks, connect again until it answers."""
    if parent_pid is not None:
        _exit_with_parent(parent_pid)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    parsed = {}
    for item in labels:
        key, eq, value = item.partition("=")
        if not eq or not key.strip() or not value.strip():
            raise click.BadParameter(f"{item!r} is not KEY=VALUE, e.g. --label region=eu-north", param_hint="--label")
        parsed[key.strip()] = value.strip()
    from ..worker.workdir import WorkdirError, lock_workdir

    workdir = workdir or os.path.join(config.ensure_home(), "worker")

    def waiting(pid: str) -> None:
        log.info("waiting up to %g s for the worker (pid %s) still on the workdir %s to exit", wait_for_workdir, pid,
                 workdir)

    try:   # first: a second worker on this workdir must not touch the first one's containers
        workdir_lock = lock_workdir(workdir, wait_s=wait_for_workdir, on_wait=waiting)
    except WorkdirError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        _serve(workdir, server_url, token, runtime, max_containers, (warm_containers, warm_sandboxes), parsed, gpus,
               gpu_type, container_disk, disk_reserve, metrics_listen, parent_pid,
               dict(chunks_over_rpc=chunks_over_rpc, host_network=host_network, user_namespaces=user_namespace, ca=ca,
                    cdi_dirs=cdi_dirs or None))
    finally:   # however it ends (a refused option too), the lock goes with it
        workdir_lock.close()


def _exit_with_parent(pid: int) -> None:
    """Have the kernel send SIGTERM when the parent ends (PR_SET_PDEATHSIG): a worker the embedded
    daemon started must not outlive it, even if it was killed."""
    import ctypes

    pr_set_pdeathsig = 1
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0) != 0:
        raise click.ClickException(f"prctl(PR_SET_PDEATHSIG) failed: {os.strerror(ctypes.get_errno())}")
    if os.getppid() != pid:   # it ended before the request was made
        raise click.ClickException(f"the process that started this worker (pid {pid}) is gone")


def _parent_gone(pid: int) -> bool:
    """The process ``pid`` that started this one has ended, or is ending (its threads exiting)."""
    if os.getppid() != pid:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rpartition(")")[2].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return True


def _serve(workdir: str, server_url: str, token: str, runtime: str, max_containers: int | None,
           warm: tuple[int, int], parsed: dict, gpus: int | None, gpu_type: str | None, container_disk: int | None,
           disk_reserve: int | None, metrics_listen: str, parent_pid: int | None, options: dict) -> None:
    """Run the worker; ``options``: the Agent's switches (chunks_over_rpc, host_network, user_namespaces, ca)."""
    from ..worker.runtime import choose_runtime

    runtime, why = choose_runtime(runtime)
    unified_hidden = False
    if runtime == "crun":   # first, while this process has one thread (before gRPC starts any)
        from ..worker.runtime.oci import hide_unified_hierarchy

        unified_hidden = hide_unified_hierarchy()
    from ..worker.agent import Agent
    from ..worker.runtime import RuntimeStartError, get_runtime

    try:
        rt = get_runtime(runtime, workdir, unified_hidden=unified_hidden, disk_mb=container_disk or 0,
                         disk_reserve_mb=disk_reserve)
    except RuntimeStartError as exc:
        raise click.BadParameter(str(exc), param_hint="--runtime") from None
    except ValueError as exc:   # disk options for a runtime without disks
        raise click.BadParameter(f"{exc}{why}: run as root with --runtime crun, or drop them",
                                 param_hint="--container-disk / --disk-reserve") from None
    from ..worker.gpus import Inventory, discover

    inventory = discover() if gpus is None else Inventory.told(gpus, gpu_type or "")
    warm_containers, warm_sandboxes = warm   # (functions', sandboxes')
    agent = Agent(server_url, token, rt, workdir, max_containers=max_containers, warm_containers=warm_containers,
                  warm_sandboxes=warm_sandboxes,
                  labels=parsed, gpus=inventory, gpu_type=gpu_type or "", metrics_listen=metrics_listen, **options)
    offered = f", {inventory.describe()}" if inventory.gpus else ""
    if rt.disks is not None and not container_disk:   # the default disk: at most 10 GiB, cut so they all fit
        rt.disks.fit_default(agent.max_containers + warm_containers + warm_sandboxes)
    click.echo(f"leveret worker: runtime {rt.describe()}{why}, container disk: {rt.describe_disk()},"
               f" up to {agent.max_containers} containers{offered}, server {server_url}")

    async def main() -> None:
        task = asyncio.ensure_future(agent.run())
        loop = asyncio.get_running_loop()

        def stop(sig: signal.Signals) -> None:
            if task.cancelling():   # said already (a dying parent's threads each send the signal)
                return
            why = (f"the process that started it (pid {parent_pid}) is gone"
                   if parent_pid is not None and _parent_gone(parent_pid) else f"received {sig.name}")
            log.info("leveret worker stopping: %s; stopping its %d container(s)", why, len(agent.tasks) + len(agent.pool))
            task.cancel()

        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop, sig)
        try:
            await task
        except asyncio.CancelledError:
            log.info("leveret worker stopped")   # Agent.run stopped its containers on the way out

    try:
        run_loop(main())
    except (Error, OSError) as exc:   # the server refused the token, a port taken, ...: it exits, saying why
        raise click.ClickException(str(exc)) from None
    except Exception as exc:   # a bug: the line says why, the traceback where
        log.exception("leveret worker exiting: %s: %s", type(exc).__name__, exc)
        sys.exit(1)
