"""One table of output statuses (leveret/_shared/status.py): the wire's enum and the container
protocol's numbers are the same, so nothing converts between them."""

from leveret._shared.status import FINAL, NAMES, RETRYABLE, OutputStatus, label
from leveret._wire import api_pb2 as pb
from leveret.container import protocol


def test_the_table_is_the_wires_enum():
    wire = {name.removeprefix("OUTPUT_STATUS_"): number for name, number in pb.OutputStatus.items()
            if number != pb.OUTPUT_STATUS_UNSPECIFIED}
    assert wire == {s.name: s.value for s in OutputStatus}


def test_the_container_protocol_speaks_the_same_numbers():
    for name in ("SUCCESS", "FAILURE", "GENERATOR_ITEM", "GENERATOR_DONE", "CANCELLED", "INTERNAL_FAILURE"):
        assert getattr(protocol, f"STATUS_{name}") == OutputStatus[name]


def test_final_retryable_and_their_names():
    assert OutputStatus.GENERATOR_ITEM not in FINAL and RETRYABLE < FINAL
    assert OutputStatus.CANCELLED not in RETRYABLE and OutputStatus.SUCCESS not in RETRYABLE
    assert NAMES[OutputStatus.GENERATOR_ITEM] == "item" and NAMES[OutputStatus.OUT_OF_MEMORY] == "out of memory"
    assert label(OutputStatus.GENERATOR_DONE) == "success" and label(OutputStatus.INTERNAL_FAILURE) == "internal_failure"
    assert label(99) == "status_99"
