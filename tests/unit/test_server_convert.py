"""The server's edge (server/api/convert.py): api.proto's messages to the server's own types
(server/model.py) and back, losing nothing the server or the worker reads."""

import pytest

from leveret._wire import api_pb2 as pb
from leveret.server import model as m
from leveret.server.api import convert


def test_a_definition_becomes_a_spec_and_goes_to_the_worker_whole():
    d = pb.FunctionDefinition(
        name="f", module="mod", mount_id="mo-1", serialized_function=b"\x80code", is_generator=True, is_async=True,
        scaledown_window_s=60, max_containers=3, timeout_s=5.0, image='{"steps": []}', secret_env={"B": "2", "A": "1"},
        retries=pb.RetryPolicy(max_retries=2, backoff_coefficient=2.0, initial_delay_s=1.0, max_delay_s=10.0),
        min_containers=1, buffer_containers=2, max_inputs=8, target_inputs=4, cpu_request=0.5, memory_request_mb=256,
        gpu_type="A100", gpu_count=2, selector={"zone": "b", "region": "eu"}, schedule='{"period": 60}')
    spec = convert.function_spec(d)
    assert (spec.name, spec.is_generator, spec.is_async, spec.mount_id, spec.image, spec.schedule) == \
        ("f", True, True, "mo-1", '{"steps": []}', '{"period": 60}')
    assert (spec.max_containers, spec.min_containers, spec.buffer_containers, spec.scaledown_window_s) == (3, 1, 2, 60)
    assert (spec.max_inputs, spec.target_inputs, spec.cpu_request, spec.memory_request_mb) == (8, 4, 0.5, 256)
    assert (spec.gpu_type, spec.gpu_count, spec.selector) == ("A100", 2, (("region", "eu"), ("zone", "b")))
    assert spec.retries == m.Retries(2, 2.0, 1.0, 10.0)
    assert convert.definition(spec) == d                  # what the worker gets: all of it
    assert convert.read_spec(spec.encoded) == spec        # as the store keeps it
    assert convert.function_spec(pb.FunctionDefinition(name="f")).retries is None


def test_the_same_definition_sent_again_is_the_same_spec_whatever_the_order_of_its_maps():
    one = pb.FunctionDefinition(name="f", secret_env={f"K{i}": str(i) for i in range(20)})
    other = pb.FunctionDefinition(name="f", secret_env={f"K{i}": str(i) for i in reversed(range(20))})
    assert convert.function_spec(one) == convert.function_spec(other)
    assert convert.function_spec(one) != convert.function_spec(pb.FunctionDefinition(name="f", module="x"))


def test_inputs_and_outputs_keep_every_field():
    req = pb.FunctionMapRequest(inputs=[pb.Input(idx=3, args=b"a"), pb.Input(idx=4, args_blob_id="bl-1")])
    assert convert.inputs(req.inputs) == [(3, b"a", ""), (4, b"", "bl-1")]
    batch = pb.ResultBatch(container_id="ct-1", busy_s=0.5, results=[pb.ContainerResult(
        input_id="in-1", attempt=2, output=pb.Output(idx=9, status=pb.OUTPUT_STATUS_GENERATOR_ITEM, data=b"v",
                                                     gen_index=7, message="m", data_blob_id="bl-2"))])
    got = convert.results(batch)
    assert (got.container_id, got.busy_s) == ("ct-1", 0.5)
    ((input_id, attempt, out),) = got.results
    assert (input_id, attempt) == ("in-1", 2)
    assert out == m.Output(0, m.GENERATOR_ITEM, b"v", 7, "m", "bl-2")   # its idx is the server's to set
    out.idx = 9
    resp = pb.FunctionMapResponse()
    convert.add_outputs(resp.outputs, [out, m.Output(1, m.SUCCESS)])
    assert list(resp.outputs) == [batch.results[0].output, pb.Output(idx=1, status=pb.OUTPUT_STATUS_SUCCESS)]


def test_every_container_state_and_log_source_has_the_wires_number():
    assert set(convert.CONTAINER_STATES.values()) == set(m.ContainerState)
    assert {pb.ContainerState.Name(n) for n in convert.CONTAINER_STATES} == \
        {f"CONTAINER_STATE_{s.name}" for s in m.ContainerState}
    assert convert.container_event(pb.ContainerEvent(container_id="ct-1")) is None   # unspecified: ignored
    ev = convert.container_event(pb.ContainerEvent(container_id="ct-1", state=pb.CONTAINER_STATE_FAILED, exit_code=-9,
                                                   oom_killed=True, running_input="in-1", phases={"imports": 0.5}))
    assert ev == m.ContainerEvent("ct-1", m.ContainerState.FAILED, -9, "", {"imports": 0.5}, True, "", "in-1")
    assert {s.name: int(s) for s in m.LogSource} == {
        pb.LogSource.Name(n).removeprefix("LOG_SOURCE_"): n for n in pb.LogSource.values() if n}


def test_every_command_to_a_worker_has_its_message():
    spec = convert.function_spec(pb.FunctionDefinition(name="f", module="mod"))
    commands = [m.StartContainer("ct-1", "fu-1", "ap-1", spec),
                m.SendInputs("ct-1", [("in-1", 2, b"a", "", "fc-1"), ("in-2", 1, b"", "bl-1", "fc-1")]), m.StopContainer("ct-1", "idle"), m.StartExec("ex-1", "ct-1", ["ls", "-l"]), m.CancelExec("ex-1"),
                m.LogsStored(1), m.Reconciled(("ct-1",), ["ct-2"]), m.PreviousEnd("why"), m.Disconnect("why"),
                m.CancelInputs("ct-1", ["in-1", "in-2"]), m.ExecInput("ex-1", b"ls\n", rows=24, cols=80),
                m.SignalExec("ex-1", 15), m.SnapshotContainer("ct-1", "sn-1"), m.FeedInput("ct-1", "in-1", b"more", True),
                m.MountImage("ct-1", "mn-1", "/w", "[]")]
    assert {type(c) for c in commands} == set(convert.TO_WORKER)
    wire = [convert.to_worker(c) for c in commands]
    assert [w.WhichOneof("msg") for w in wire] == ["start", "inputs", "stop", "exec", "exec_cancel", "logs_stored",
                                                   "reconciled", "previous_end", "disconnect", "cancel", "exec_input",
                                                   "exec_signal", "snapshot", "feed", "mount"]
    assert wire.pop().mount == pb.ContainerMount(container_id="ct-1", request_id="mn-1", path="/w", image="[]")
    assert wire[-3].exec_signal == pb.ExecSignal(exec_id="ex-1", signal=15)
    assert wire[-2].snapshot == pb.ContainerSnapshot(container_id="ct-1", snapshot_id="sn-1")
    assert convert.to_worker(m.SnapshotContainer("ct-1", "sn-2", "/srv")).snapshot.path == "/srv"
    assert convert.mount_done(pb.MountDone(request_id="mn-1", error="no")) == m.MountDone("mn-1", "no")
    assert convert.exec_output(pb.ExecOutput(exec_id="ex-1", output=pb.ContainerExecResponse(done=True), stdin_taken=5,
                                             timed_out=True)) == ("ex-1", m.ExecOutput(done=True, stdin_taken=5,
                                                                                       timed_out=True))
    assert convert.snapshot_done(pb.SnapshotDone(snapshot_id="sn-1", blob_id="bl-1", sha256="ab", size=3)) == \
        m.SnapshotDone("sn-1", "bl-1", "ab", 3)
    assert wire[-1].feed == pb.InputFeed(container_id="ct-1", input_id="in-1", data=b"more", end=True)
    assert wire[-4].exec_input == pb.ExecInput(exec_id="ex-1", data=b"ls\n", rows=24, cols=80)
    assert wire[0].start == pb.ContainerAssignment(container_id="ct-1", function_id="fu-1", app_id="ap-1",
                                                   definition=pb.FunctionDefinition(name="f", module="mod"))
    sandbox = convert.to_worker(m.StartContainer("ct-2", "sb-1", "ap-1", spec, sandbox=m.SandboxStart(
        "sb-1", ["sleep", "1"], "/tmp", {"A": "1"}, 4096))).start.sandbox
    assert sandbox == pb.SandboxStart(sandbox_id="sb-1", argv=["sleep", "1"], workdir="/tmp", env={"A": "1"}, window=4096)
    exec_ = convert.to_worker(m.StartExec("ex-2", "ct-2", ["ls"], workdir="/w", timeout_s=2.0, window=8,
                                          tool=True)).exec
    assert (exec_.workdir, exec_.timeout_s, exec_.window, exec_.tool) == ("/w", 2.0, 8, True)
    assert wire[1].inputs == pb.InputBatch(container_id="ct-1", inputs=[
        pb.DispatchedInput(input_id="in-1", attempt=2, args=b"a", call_id="fc-1"),
        pb.DispatchedInput(input_id="in-2", attempt=1, args_blob_id="bl-1", call_id="fc-1")])
    assert (wire[6].reconciled.kept, wire[6].reconciled.stopped) == (["ct-1"], ["ct-2"])
    assert wire[9].cancel == pb.InputsCancel(container_id="ct-1", input_ids=["in-1", "in-2"])


def test_a_log_batch_becomes_rows_one_per_line():
    batch = pb.LogBatch(chunks=[pb.LogChunk(
        app_id="ap-1", function_name="f", container_id="ct-1", texts=["a", "b", "c"], run_lengths=[2, 1],
        run_sources=[1, 2], run_input_ids=["in-1", ""], run_ts=[1.0, 2.0])])
    assert convert.log_rows(batch) == [("ap-1", "f", "ct-1", "in-1", 1, 1.0, "a"),
                                       ("ap-1", "f", "ct-1", "in-1", 1, 1.0, "b"),
                                       ("ap-1", "f", "ct-1", "", 2, 2.0, "c")]
    batch.chunks[0].run_lengths[0] = 1
    with pytest.raises(ValueError, match="a log chunk of 3 lines has runs of 2"):
        convert.log_rows(batch)


def test_a_worker_says_what_it_is_and_what_it_still_runs():
    wire = pb.WorkerInfo(
        hostname="h", runtime="crun", cpu=4, memory_mb=8192, max_containers=8, gpus=1, gpu_type="L4",
        labels={"region": "eu"}, previous_worker_id="wk-1", reattach=True,
        containers=[pb.ReconcileContainer(container_id="ct-1", function_id="fu-1", app_id="ap-1", ready=True,
                                          inputs=["in-1"])])
    info = convert.worker_info(wire)
    assert info == m.WorkerInfo("h", "crun", 4, 8192, 8, 1, "L4", {"region": "eu"},
                                (m.Reported("ct-1", "fu-1", "ap-1", True, ("in-1",)),), "wk-1", reattach=True)
    assert convert.worker_info_message(info) == wire
