"""The worker's edge (worker/convert.py): api.proto's messages become the worker's own types
(worker/model.py) and back, field for field; payload bytes pass through as they are."""

import dataclasses

from leveret._shared.containers import ContainerState
from leveret._wire import api_pb2 as pb
from leveret.worker import convert
from leveret.worker import model as m
from leveret.worker.logflow import Run


def test_an_assignment_keeps_every_field_of_the_definition_the_worker_uses():
    d = pb.FunctionDefinition(name="f", module="mod", mount_id="mo-1", serialized_function=b"fn", image="[]",
                              secret_env={"K": "v"}, timeout_s=2.5, startup_timeout_s=9, max_inputs=4, cpu=1.5,
                              memory_mb=256, gpu_count=1, block_network=True, ephemeral_disk_mb=512)
    a = convert.from_server(pb.ServerToWorker(start=pb.ContainerAssignment(
        container_id="ct-1", function_id="fu-1", app_id="ap-1", definition=d)))
    assert a == m.Assignment("ct-1", "fu-1", "ap-1", m.Definition(
        "f", "mod", "mo-1", b"fn", "[]", {"K": "v"}, 2.5, 9.0, 4, 1.5, 256, 1, True, 512))
    assert {f.name for f in dataclasses.fields(m.Definition)} <= set(pb.FunctionDefinition.DESCRIPTOR.fields_by_name)


def test_what_the_server_says_becomes_a_command_and_what_it_does_not_know_none():
    msg = pb.ServerToWorker()
    msg.inputs.container_id = "ct-1"
    msg.inputs.inputs.add(input_id="in-1", attempt=2, args=b"a")
    msg.inputs.inputs.add(input_id="in-2", args_blob_id="bl-1")
    assert convert.from_server(msg) == m.Inputs("ct-1", [("in-1", 2, b"a", "", ""), ("in-2", 0, b"", "bl-1", "")])
    assert convert.from_server(pb.ServerToWorker(stop=pb.ContainerStop(container_id="ct-1", reason="r"))) == \
        m.Stop("ct-1", "r")
    assert convert.from_server(pb.ServerToWorker(cancel=pb.InputsCancel(container_id="ct-1", input_ids=["in-1"]))) == \
        m.CancelInputs("ct-1", ["in-1"])
    assert convert.from_server(pb.ServerToWorker(exec=pb.ExecStart(exec_id="ex-1", container_id="ct-1",
                                                                   argv=["ls"]))) == m.Exec("ex-1", "ct-1", ["ls"])
    assert convert.from_server(pb.ServerToWorker(exec=pb.ExecStart(
        exec_id="ex-1", container_id="ct-1", argv=["sh"], interactive=True, tty=True, env={"TERM": "xterm"}, rows=24,
        cols=80))) == m.Exec("ex-1", "ct-1", ["sh"], True, True, {"TERM": "xterm"}, 24, 80)
    assert convert.from_server(pb.ServerToWorker(exec=pb.ExecStart(
        exec_id="ex-1", container_id="ct-1", argv=["ls"], workdir="/w", timeout_s=2.0, window=8, tool=True))) == \
        m.Exec("ex-1", "ct-1", ["ls"], workdir="/w", timeout_s=2.0, window=8, tool=True)
    assert convert.from_server(pb.ServerToWorker(exec_signal=pb.ExecSignal(exec_id="ex-1", signal=15))) == \
        m.SignalExec("ex-1", 15)
    assert convert.from_server(pb.ServerToWorker(snapshot=pb.ContainerSnapshot(container_id="ct-1", snapshot_id="sn-1"))) \
        == m.Snapshot("ct-1", "sn-1")
    assert convert.from_server(pb.ServerToWorker(mount=pb.ContainerMount(container_id="ct-1", request_id="mn-1", path="/w",
                                                                         unmount=True))) == \
        m.MountImage("ct-1", "mn-1", "/w", "", True)
    start = pb.ServerToWorker(start=pb.ContainerAssignment(container_id="ct-1", function_id="sb-1", sandbox=pb.SandboxStart(
        sandbox_id="sb-1", argv=["sleep", "1"], workdir="/tmp", env={"A": "1"}, window=64)))
    assert convert.from_server(start).sandbox == m.SandboxStart("sb-1", ["sleep", "1"], "/tmp", {"A": "1"}, 64)
    assert convert.from_server(pb.ServerToWorker(exec_input=pb.ExecInput(exec_id="ex-1", data=b"ls\n"))) == \
        m.ExecInput("ex-1", b"ls\n")
    assert convert.from_server(pb.ServerToWorker(feed=pb.InputFeed(container_id="ct-1", input_id="in-1", data=b"x",
                                                                   end=True))) == m.FeedInput("ct-1", "in-1", b"x", True)
    assert convert.from_server(pb.ServerToWorker(reconciled=pb.ReconcileResult(kept=["a"], stopped=["b"]))) == \
        m.Reconciled(["a"], ["b"])
    assert convert.from_server(pb.ServerToWorker(logs_stored=3)) == m.LogsStored(3)
    assert convert.from_server(pb.ServerToWorker(worker_id="wk-1")) == m.Registered("wk-1")
    assert convert.from_server(pb.ServerToWorker(disconnect="bye")) == m.Disconnect("bye")
    assert convert.from_server(pb.ServerToWorker()) is None
    assert set(convert.FROM_SERVER) == {f.name for f in pb.ServerToWorker.DESCRIPTOR.oneofs_by_name["msg"].fields}


def test_results_go_out_as_one_message_built_in_place_blobs_by_id():
    r = m.Results("ct-1", ["in-1", "in-2"], [1, 2], [1, 3], [b"x", m.StoredBlob("bl-9")], [0, 4], ["", "m"], 0.5)
    assert convert.to_server(r) == pb.WorkerToServer(results=pb.ResultBatch(container_id="ct-1", busy_s=0.5, results=[
        pb.ContainerResult(input_id="in-1", attempt=1, output=pb.Output(status=1, data=b"x")),
        pb.ContainerResult(input_id="in-2", attempt=2, output=pb.Output(status=3, data_blob_id="bl-9", gen_index=4,
                                                                        message="m"))]))


def test_events_name_every_state_and_logs_group_runs_by_container():
    assert set(convert.CONTAINER_STATES) == set(ContainerState)
    assert {pb.ContainerState.Name(n) for n in convert.CONTAINER_STATES.values()} == \
        {f"CONTAINER_STATE_{s.name}" for s in ContainerState}
    ev = convert.to_server(m.ContainerEvent("ct-1", ContainerState.FAILED, -9, "oom", {"imports": 0.5}, True))
    assert ev.event == pb.ContainerEvent(container_id="ct-1", state=pb.CONTAINER_STATE_FAILED, exit_code=-9,
                                         message="oom", phases={"imports": 0.5}, oom_killed=True)
    a, b = ("ap-1", "f", "ct-1"), ("ap-1", "f", "ct-2")
    logs = convert.to_server(m.Logs([Run(a, 1, "in-1", 1.0, ["x", "y"]), Run(a, 2, "", 2.0, ["z"]),
                                     Run(b, 3, "", 3.0, ["w"])]))
    assert list(logs.logs.chunks) == [
        pb.LogChunk(app_id="ap-1", function_name="f", container_id="ct-1", texts=["x", "y", "z"], run_lengths=[2, 1],
                    run_sources=[1, 2], run_input_ids=["in-1", ""], run_ts=[1.0, 2.0]),
        pb.LogChunk(app_id="ap-1", function_name="f", container_id="ct-2", texts=["w"], run_lengths=[1],
                    run_sources=[3], run_input_ids=[""], run_ts=[3.0])]


def test_every_report_has_its_message():
    info = m.WorkerInfo("h", "crun", 2.0, 1024, 8, {"region": "eu"},
                        containers=(m.Reported("ct-1", "fu-1", "ap-1", True, ("in-1",)),), previous_worker_id="wk-0",
                        reattach=True)
    register = convert.to_server(info).register
    assert register.containers[0].ready and list(register.containers[0].inputs) == ["in-1"] and register.reattach
    assert convert.to_server(m.HEARTBEAT) == pb.WorkerToServer(heartbeat=True)
    assert convert.to_server(m.UsageReport([m.Usage("ct-1", 1.5, -1)])).usage.containers[0].memory_bytes == -1
    out = convert.to_server(m.ExecReport("ex-1", m.ExecOutput(stream=1, data=b"d"))).exec_output
    assert (out.exec_id, out.output.stream, out.output.data) == ("ex-1", 1, b"d")
    ended = convert.to_server(m.ExecReport("ex-1", m.ExecOutput(done=True, exit_code=-9, stdin_taken=5,
                                                               timed_out=True))).exec_output
    assert (ended.stdin_taken, ended.timed_out, ended.output.exit_code) == (5, True, -9)
    done = convert.to_server(m.SnapshotDone("sn-1", "bl-1", "ab", 3)).snapshot_done
    assert (done.snapshot_id, done.blob_id, done.sha256, done.size) == ("sn-1", "bl-1", "ab", 3)
    assert convert.to_server(m.MountDone("mn-1", "why")).mount_done == pb.MountDone(request_id="mn-1", error="why")
    sent = {f.name for f in pb.WorkerToServer.DESCRIPTOR.oneofs_by_name["msg"].fields}
    assert len(convert.TO_SERVER) == len(sent)
