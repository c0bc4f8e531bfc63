"""api.proto's messages ⇄ the server's own types (model.py): the one place they are converted, once
each way. The handlers of api/ call these; the server's core never sees a message.

    FunctionDefinition ─function_spec─▶ FunctionSpec ─(StartContainer)─▶ ContainerAssignment
    stored definition bytes ─read_spec─▶ FunctionSpec        (the store keeps the wire's encoding)
    Input ─inputs─▶ Input                 Output ◀─add_outputs─ Output
    WorkerToServer's register / results / event / usage / exec_output / logs ─▶ WorkerInfo, Results,
        ContainerEvent, Usage, ExecOutput, log rows
    outbox commands ─to_worker─▶ ServerToWorker
"""

from __future__ import annotations

import json

from itertools import chain, repeat

from ..._wire import api_pb2 as pb
from .. import model as m
from ..routes import default_label

# ------------------------------------------------------------------ functions


def function_spec(d: pb.FunctionDefinition) -> m.FunctionSpec:
    retries = d.retries
    return m.FunctionSpec(
        name=d.name, encoded=d.SerializeToString(deterministic=True), is_generator=d.is_generator,
        is_async=d.is_async, mount_id=d.mount_id, image=d.image, schedule=d.schedule,
        max_containers=d.max_containers, min_containers=d.min_containers, buffer_containers=d.buffer_containers,
        scaledown_window_s=d.scaledown_window_s,
        # a @batched function's container takes a batch's worth at once, as a @concurrent one does
        max_inputs=d.max_inputs or d.batch_max_size, target_inputs=d.target_inputs or d.batch_max_size,
        cpu_request=d.cpu_request, memory_request_mb=d.memory_request_mb, gpu_type=d.gpu_type,
        gpu_count=d.gpu_count, selector=tuple(sorted(d.selector.items())), class_name=d.class_name,
        methods=tuple(sorted(d.methods.items())), params=d.params, secret_ids=tuple(d.secret_ids),
        registry_secret=_registry_secret(d.image),
        bucket_secrets=tuple(dict.fromkeys(b.secret_id for b in d.bucket_mounts if b.secret_id)),
        retries=m.Retries(retries.max_retries, retries.backoff_coefficient, retries.initial_delay_s,
                          retries.max_delay_s) if d.HasField("retries") else None,
        timeout_s=d.timeout_s, web_kind=d.web.kind, web_label=(d.web.label or default_label(d.name)) if d.web.kind else "",
        web_auth=d.web.requires_proxy_auth,
        web_methods=tuple(sorted((name, w.label or default_label(f"{d.name}-{name}"), w.requires_proxy_auth)
                                 for name, w in d.web_methods.items())))


def _registry_secret(image: str) -> str:
    """The id of the secret an image's registry credentials are in ("": none)."""
    if "credentials_secret" not in image:
        return ""
    steps = json.loads(image)
    return str(steps[0].get("credentials_secret", "")) if steps and isinstance(steps[0], dict) else ""


def read_spec(encoded: bytes) -> m.FunctionSpec:
    """A definition as the store keeps it (FunctionDefinition's bytes)."""
    return function_spec(pb.FunctionDefinition.FromString(encoded))


def definition(spec: m.FunctionSpec) -> pb.FunctionDefinition:
    return pb.FunctionDefinition.FromString(spec.encoded)


# ------------------------------------------------------------------ inputs and outputs


def inputs(messages) -> list[m.Input]:
    return [(i.idx, i.args, i.args_blob_id) for i in messages]


def add_outputs(field, outputs: list[m.Output]) -> None:
    """Append ``outputs`` to a message's repeated Output ``field``, built in place (no copy)."""
    add = field.add
    for o in outputs:
        set_output(add(), o)


def set_output(x: pb.Output, o: m.Output) -> None:
    """Fill a message's Output ``x`` (fields left at their defaults are not set: it is the hot path)."""
    x.idx = o.idx
    x.status = o.status
    x.data = o.data
    if o.gen_index:
        x.gen_index = o.gen_index
    if o.message:
        x.message = o.message
    if o.data_blob_id:
        x.data_blob_id = o.data_blob_id


# ------------------------------------------------------------------ from workers


def worker_info(i: pb.WorkerInfo) -> m.WorkerInfo:
    return m.WorkerInfo(
        hostname=i.hostname, runtime=i.runtime, cpu=i.cpu, memory_mb=i.memory_mb, max_containers=i.max_containers,
        gpus=i.gpus, gpu_type=i.gpu_type, labels=dict(i.labels), previous_worker_id=i.previous_worker_id,
        reattach=i.reattach, gpu_driver=i.gpu_driver, cuda_version=i.cuda_version,
        gpu_devices=tuple(m.GpuDevice(g.index, g.uuid, g.model, g.memory_mb, g.mig) for g in i.gpu_devices),
        containers=tuple(m.Reported(c.container_id, c.function_id, c.app_id, c.ready, tuple(c.inputs))
                         for c in i.containers))


def worker_info_message(i: m.WorkerInfo) -> pb.WorkerInfo:
    return pb.WorkerInfo(
        hostname=i.hostname, runtime=i.runtime, cpu=i.cpu, memory_mb=i.memory_mb, max_containers=i.max_containers,
        gpus=i.gpus, gpu_type=i.gpu_type, labels=i.labels, previous_worker_id=i.previous_worker_id,
        reattach=i.reattach, gpu_driver=i.gpu_driver, cuda_version=i.cuda_version,
        gpu_devices=[pb.GpuDevice(index=g.index, uuid=g.uuid, model=g.model, memory_mb=g.memory_mb, mig=g.mig)
                     for g in i.gpu_devices],
        containers=[pb.ReconcileContainer(container_id=c.container_id, function_id=c.function_id, app_id=c.app_id,
                                          ready=c.ready, inputs=c.inputs) for c in i.containers])


def results(batch: pb.ResultBatch) -> m.Results:
    Output = m.Output
    return m.Results(batch.container_id, [
        (r.input_id, r.attempt, Output(0, (o := r.output).status, o.data, o.gen_index, o.message, o.data_blob_id,
                                          o.traceback))
        for r in batch.results], batch.busy_s)


CONTAINER_STATES = {pb.CONTAINER_STATE_STARTING: m.ContainerState.STARTING,
                    pb.CONTAINER_STATE_READY: m.ContainerState.READY,
                    pb.CONTAINER_STATE_STOPPED: m.ContainerState.STOPPED,
                    pb.CONTAINER_STATE_FAILED: m.ContainerState.FAILED}


def container_event(ev: pb.ContainerEvent) -> m.ContainerEvent | None:
    """None for a state the server does not know (it ignores the event)."""
    state = CONTAINER_STATES.get(ev.state)
    if state is None:
        return None
    return m.ContainerEvent(ev.container_id, state, ev.exit_code, ev.message, dict(ev.phases), ev.oom_killed,
                            ev.timed_out_input, ev.running_input, dict(ev.ports))


def usage(batch: pb.ContainerUsageBatch) -> list[m.Usage]:
    return [m.Usage(u.container_id, u.cpu_seconds, u.memory_bytes) for u in batch.containers]


def snapshot_done(s: pb.SnapshotDone) -> m.SnapshotDone:
    return m.SnapshotDone(s.snapshot_id, s.blob_id, s.sha256, s.size, s.error)


def mount_done(s: pb.MountDone) -> m.MountDone:
    return m.MountDone(s.request_id, s.error)


def exec_output(out: pb.ExecOutput) -> tuple[str, m.ExecOutput]:
    o = out.output
    return out.exec_id, m.ExecOutput(o.stream, o.data, o.done, o.exit_code, o.error, out.stdin_taken, out.timed_out)


def exec_response(o: m.ExecOutput) -> pb.ContainerExecResponse:
    return pb.ContainerExecResponse(stream=o.stream, data=o.data, done=o.done, exit_code=o.exit_code, error=o.error)


def log_rows(batch: pb.LogBatch) -> list[tuple]:
    """A worker's batch of lines as the LogHub's rows ``(app_id, function_name, container_id,
    input_id, source, ts, text)``, in order; what a chunk shares is repeated, no object per line."""
    rows: list[tuple] = []
    for c in batch.chunks:
        n = len(c.texts)
        lengths = c.run_lengths
        if sum(lengths) != n:
            raise ValueError(f"a log chunk of {n} lines has runs of {sum(lengths)}")
        rows += zip(repeat(c.app_id, n), repeat(c.function_name, n), repeat(c.container_id, n),
                    chain.from_iterable(map(repeat, c.run_input_ids, lengths)),
                    chain.from_iterable(map(repeat, c.run_sources, lengths)),
                    chain.from_iterable(map(repeat, c.run_ts, lengths)), c.texts)
    return rows


# ------------------------------------------------------------------ to workers


def _send_inputs(c: m.SendInputs) -> pb.ServerToWorker:
    msg = pb.ServerToWorker()
    batch = msg.inputs
    batch.container_id = c.container_id
    add = batch.inputs.add
    for input_id, attempt, args, blob, call_id in c.inputs:
        add(input_id=input_id, attempt=attempt, args=args, args_blob_id=blob, call_id=call_id)
    return msg


def _start_container(c: m.StartContainer) -> pb.ServerToWorker:
    d = definition(c.spec)
    d.secret_env.update(c.secret_env)   # here only: the stored definition names its secrets, never their values
    if c.registry_env:   # the same for the registry's credentials: the worker that pulls gets them
        steps = json.loads(d.image)
        steps[0]["credentials"] = [c.registry_env.get("REGISTRY_USERNAME", ""), c.registry_env.get("REGISTRY_PASSWORD", "")]
        d.image = json.dumps(steps, sort_keys=True, separators=(",", ":"))
    for b in d.bucket_mounts:   # and a bucket's to the worker that mounts it: never the container's environment
        if b.secret_id:
            b.secret_env.update(c.bucket_env[b.secret_id])
    start = pb.ContainerAssignment(container_id=c.container_id, function_id=c.function_id, app_id=c.app_id,
                                   definition=d, container_token=c.token, app_name=c.app_name)
    if c.sandbox is not None:
        s = c.sandbox
        start.sandbox.CopyFrom(pb.SandboxStart(sandbox_id=s.sandbox_id, argv=s.argv, workdir=s.workdir, env=s.env,
                                               window=s.window, egress_limited=s.egress is not None,
                                               egress=s.egress or (), ports=s.ports,
                                               domains_limited=s.domains is not None, domains=s.domains or (),
                                               pty=s.pty, outbound=[
                                                   pb.OutboundRoute(kind=r.kind, domains=r.domains, cidrs=r.cidrs,
                                                                    block=r.block, headers=dict(r.headers))
                                                   for r in s.outbound or ()]))
    return pb.ServerToWorker(start=start)


TO_WORKER = {
    m.SendInputs: _send_inputs,
    m.StartContainer: _start_container,
    m.StopContainer: lambda c: pb.ServerToWorker(stop=pb.ContainerStop(container_id=c.container_id, reason=c.reason)),
    m.CancelInputs: lambda c: pb.ServerToWorker(cancel=pb.InputsCancel(container_id=c.container_id,
                                                                       input_ids=c.input_ids)),
    m.FeedInput: lambda c: pb.ServerToWorker(feed=pb.InputFeed(container_id=c.container_id, input_id=c.input_id,
                                                                data=c.data, end=c.end)),
    m.StartExec: lambda c: pb.ServerToWorker(exec=pb.ExecStart(
        exec_id=c.exec_id, container_id=c.container_id, argv=c.argv, interactive=c.interactive, tty=c.tty, env=c.env,
        rows=c.rows, cols=c.cols, workdir=c.workdir, timeout_s=c.timeout_s, window=c.window,
        tool=c.tool)),
    m.SignalExec: lambda c: pb.ServerToWorker(exec_signal=pb.ExecSignal(exec_id=c.exec_id, signal=c.signal)),
    m.SnapshotContainer: lambda c: pb.ServerToWorker(snapshot=pb.ContainerSnapshot(container_id=c.container_id,
                                                                                   snapshot_id=c.snapshot_id,
                                                                                   path=c.path)),
    m.MountImage: lambda c: pb.ServerToWorker(mount=pb.ContainerMount(container_id=c.container_id,
                                                                          request_id=c.request_id, path=c.path,
                                                                          image=c.image, unmount=c.unmount)),
    m.ExecInput: lambda c: pb.ServerToWorker(exec_input=pb.ExecInput(exec_id=c.exec_id, data=c.data, eof=c.eof,
                                                                     rows=c.rows, cols=c.cols, ack=c.ack)),
    m.CancelExec: lambda c: pb.ServerToWorker(exec_cancel=c.exec_id),
    m.LogsStored: lambda c: pb.ServerToWorker(logs_stored=c.batches),
    m.Reconciled: lambda c: pb.ServerToWorker(reconciled=pb.ReconcileResult(kept=c.kept, stopped=c.stopped)),
    m.PreviousEnd: lambda c: pb.ServerToWorker(previous_end=c.reason),
    m.Disconnect: lambda c: pb.ServerToWorker(disconnect=c.reason),
}


def to_worker(command) -> pb.ServerToWorker:
    """A command of the Dispatcher's (model.py) as the message to its worker."""
    return TO_WORKER[type(command)](command)
