"""api.proto's messages ⇄ the worker's own types (model.py): the one place they are converted, once
each way. link.py calls these on its stream; the worker's core never sees a message.

    ServerToWorker ─from_server─▶ Assignment (Definition) │ Inputs │ Stop │ CancelInputs │ Exec │ … │ None (unknown)
    WorkerInfo, Heartbeat, UsageReport, Results, ContainerEvent, ExecReport, Logs ─to_server─▶ WorkerToServer

Inputs and results are the hot path: an input becomes a plain tuple, and a message out is built in
place (``add()``, fields left at their defaults not set), never built and then copied into its parent.
"""

from __future__ import annotations

import json

from .._shared.egress import Route
from .._wire import api_pb2 as pb
from ..container.protocol import TRACEBACK_MARK as _MARK
from . import model as m

# ------------------------------------------------------------------ from the server


def definition(d: pb.FunctionDefinition) -> m.Definition:
    return m.Definition(
        name=d.name, module=d.module, mount_id=d.mount_id, serialized_function=d.serialized_function,
        image=d.image, secret_env=dict(d.secret_env), timeout_s=d.timeout_s, startup_timeout_s=d.startup_timeout_s,
        max_inputs=d.max_inputs or d.batch_max_size, cpu=d.cpu, memory_mb=d.memory_mb, gpu_count=d.gpu_count,
        block_network=d.block_network, ephemeral_disk_mb=d.ephemeral_disk_mb, class_name=d.class_name,
        params=d.params, batch_max_size=d.batch_max_size, batch_wait_ms=d.batch_wait_ms, import_name=d.import_name,
        volume_mounts=tuple(m.VolumeMount(v.path, v.volume_id, v.read_only, v.sub_path) for v in d.volume_mounts),
        bucket_mounts=tuple(m.BucketMount(b.path, b.bucket_name, b.endpoint_url, b.key_prefix, b.read_only,
                                          b.force_path_style, dict(b.secret_env)) for b in d.bucket_mounts),
        web=_web(d.web) if d.web.kind else (),
        web_methods=json.dumps({name: dict(_web(w)) for name, w in sorted(d.web_methods.items())})
        if d.web_methods else "")


def _web(w: pb.WebEndpoint) -> tuple[tuple[str, str], ...]:
    return (("kind", w.kind), ("method", w.method), ("docs", "1" if w.docs else ""), ("port", str(w.port)),
            ("startup_timeout", str(w.startup_timeout_s)))


def _sandbox(s: pb.SandboxStart) -> m.SandboxStart:
    return m.SandboxStart(s.sandbox_id, list(s.argv), s.workdir, dict(s.env), s.window,
                          tuple(s.egress) if s.egress_limited else None, tuple(s.ports),
                          tuple(s.domains) if s.domains_limited else None, s.pty,
                          tuple(Route(r.kind, tuple(r.domains), tuple(r.cidrs), r.block, tuple(sorted(r.headers.items())))
                                for r in s.outbound) or None)


def _inputs(b: pb.InputBatch) -> m.Inputs:
    return m.Inputs(b.container_id, [(i.input_id, i.attempt, i.args, i.args_blob_id, i.call_id) for i in b.inputs])


FROM_SERVER = {
    "inputs": _inputs,
    "start": lambda a: m.Assignment(a.container_id, a.function_id, a.app_id, definition(a.definition),
                                      a.container_token, _sandbox(a.sandbox) if a.HasField("sandbox") else None,
                                      a.app_name),
    "stop": lambda s: m.Stop(s.container_id, s.reason),
    "cancel": lambda c: m.CancelInputs(c.container_id, list(c.input_ids)),
    "feed": lambda f: m.FeedInput(f.container_id, f.input_id, f.data, f.end),
    "exec": lambda e: m.Exec(e.exec_id, e.container_id, list(e.argv), e.interactive, e.tty, dict(e.env), e.rows,
                             e.cols, e.workdir, e.timeout_s, e.window, e.tool),
    "exec_signal": lambda e: m.SignalExec(e.exec_id, e.signal),
    "snapshot": lambda s: m.Snapshot(s.container_id, s.snapshot_id, s.path),
    "mount": lambda s: m.MountImage(s.container_id, s.request_id, s.path, s.image, s.unmount),
    "exec_input": lambda i: m.ExecInput(i.exec_id, i.data, i.eof, i.rows, i.cols, i.ack),
    "exec_cancel": m.CancelExec,
    "logs_stored": m.LogsStored,
    "heartbeat_s": m.HeartbeatEvery,
    "worker_id": m.Registered,
    "reconciled": lambda r: m.Reconciled(list(r.kept), list(r.stopped)),
    "previous_end": m.PreviousEnd,
    "disconnect": m.Disconnect,
    "chunk_store": lambda c: m.ChunkStoreAt(c.directory, c.store_id),
    "direct_port": lambda d: m.DirectPortAt(d.port, d.local_socket),
}


def from_server(msg: pb.ServerToWorker):
    """What the server says, as a model.py command; None for what this worker does not know."""
    kind = msg.WhichOneof("msg")
    make = FROM_SERVER.get(kind)
    return None if make is None else make(getattr(msg, kind))


def mount_files(resp: pb.MountGetResponse) -> list[m.MountFile]:
    return [m.MountFile(f.path, f.content, f.sha256, f.mode) for f in resp.files]


# ------------------------------------------------------------------ to the server


def _worker_info(i: m.WorkerInfo) -> pb.WorkerToServer:
    return pb.WorkerToServer(register=pb.WorkerInfo(
        hostname=i.hostname, runtime=i.runtime, cpu=i.cpu, memory_mb=i.memory_mb, max_containers=i.max_containers,
        labels=i.labels, gpus=i.gpus, gpu_type=i.gpu_type, previous_worker_id=i.previous_worker_id,
        reattach=i.reattach, gpu_driver=i.gpu_driver, cuda_version=i.cuda_version,
        gpu_devices=[pb.GpuDevice(index=g.index, uuid=g.uuid, model=g.model, memory_mb=g.memory_mb, mig=g.mig)
                     for g in i.gpu_devices],
        containers=[pb.ReconcileContainer(container_id=c.container_id, function_id=c.function_id, app_id=c.app_id,
                                          ready=c.ready, inputs=c.inputs) for c in i.containers]))


def _results(r: m.Results) -> pb.WorkerToServer:
    msg = pb.WorkerToServer()
    batch = msg.results
    batch.container_id = r.container_id
    if r.busy_s:
        batch.busy_s = r.busy_s
    add = batch.results.add
    stored = m.StoredBlob
    for input_id, attempt, status, data, gen_index, message in zip(
            r.input_ids, r.attempts, r.statuses, r.data, r.gen_indexes, r.messages):
        o = add(input_id=input_id, attempt=attempt).output
        o.status = status
        if type(data) is stored:
            o.data_blob_id = data
        elif data:
            o.data = data
        if gen_index:
            o.gen_index = gen_index
        if message:
            if _MARK in message:   # a failure's one line, then its traceback (container/messages.py)
                message, _, o.traceback = message.partition(_MARK)
            o.message = message
    return msg


CONTAINER_STATES = {m.ContainerState.STARTING: pb.CONTAINER_STATE_STARTING,
                    m.ContainerState.READY: pb.CONTAINER_STATE_READY,
                    m.ContainerState.STOPPED: pb.CONTAINER_STATE_STOPPED,
                    m.ContainerState.FAILED: pb.CONTAINER_STATE_FAILED}


def _event(ev: m.ContainerEvent) -> pb.WorkerToServer:
    return pb.WorkerToServer(event=pb.ContainerEvent(
        container_id=ev.container_id, state=CONTAINER_STATES[ev.state], exit_code=ev.exit_code, message=ev.message,
        phases=ev.phases, oom_killed=ev.oom_killed, timed_out_input=ev.timed_out_input,
        running_input=ev.running_input, ports=ev.ports))


def _usage(u: m.UsageReport) -> pb.WorkerToServer:
    return pb.WorkerToServer(usage=pb.ContainerUsageBatch(containers=[
        pb.ContainerUsage(container_id=c.container_id, cpu_seconds=c.cpu_seconds, memory_bytes=c.memory_bytes)
        for c in u.containers]))


def _exec_output(r: m.ExecReport) -> pb.WorkerToServer:
    o = r.output
    return pb.WorkerToServer(exec_output=pb.ExecOutput(exec_id=r.exec_id, output=pb.ContainerExecResponse(
        stream=o.stream, data=o.data, done=o.done, exit_code=o.exit_code, error=o.error), stdin_taken=o.stdin_taken,
        timed_out=o.timed_out))


def _logs(logs: m.Logs) -> pb.WorkerToServer:
    """Runs as the wire's chunks: one per container (consecutive runs of one container share one)."""
    msg = pb.WorkerToServer()
    add = msg.logs.chunks.add
    runs = logs.runs
    i = 0
    while i < len(runs):
        head = runs[i].head
        j = i + 1
        while j < len(runs) and runs[j].head is head:
            j += 1
        group = runs[i:j]
        texts = group[0].texts if len(group) == 1 else [t for r in group for t in r.texts]
        add(app_id=head[0], function_name=head[1], container_id=head[2], texts=texts,
            run_lengths=[len(r.texts) for r in group], run_sources=[r.source for r in group],
            run_input_ids=[r.input_id for r in group], run_ts=[r.ts for r in group])
        i = j
    return msg


TO_SERVER = {
    m.Results: _results,
    m.Logs: _logs,
    m.ContainerEvent: _event,
    m.WorkerInfo: _worker_info,
    m.Heartbeat: lambda _: pb.WorkerToServer(heartbeat=True),
    m.UsageReport: _usage,
    m.ExecReport: _exec_output,
    m.SnapshotDone: lambda s: pb.WorkerToServer(snapshot_done=pb.SnapshotDone(
        snapshot_id=s.snapshot_id, blob_id=s.blob_id, sha256=s.sha256, size=s.size, error=s.error)),
    m.MountDone: lambda s: pb.WorkerToServer(mount_done=pb.MountDone(request_id=s.request_id, error=s.error)),
}


def to_server(report) -> pb.WorkerToServer:
    """A report of the worker's (model.py) as the message to its server."""
    return TO_SERVER[type(report)](report)
