import threading

import cloudpickle
import pytest

import leveret
from leveret import _serialization as ser
from leveret.container import protocol
from leveret.container.serialization import exception_payload
from leveret.exception import ExecutionError, FunctionTimeoutError, InputCancellation, RemoteError


class ModuleLevelError(Exception):
    pass


class LockedError(Exception):
    """Cannot be pickled: it holds a lock."""

    def __init__(self, message):
        super().__init__(message)
        self.lock = threading.Lock()


class TwoArgError(Exception):
    """Pickles, but fails to load: unpickling calls TwoArgError(*self.args) with one argument."""

    def __init__(self, a, b):
        super().__init__(a)
        self.b = b


def raised(exc):
    """``exc`` with a real traceback, as the container sees it."""
    def remote_function():
        raise exc

    try:
        remote_function()
    except BaseException as e:
        return e


def round_trip(exc, status=ser.FAILURE):
    payload = exception_payload(raised(exc), cloudpickle)
    return ser.output_exception(status, payload, f"{type(exc).__name__}: {exc}")


def test_values_round_trip():
    value = {"a": [1, 2.5, None], "b": (b"x", "y")}
    assert ser.deserialize(ser.serialize(value)) == value
    assert ser.output_value(ser.SUCCESS, ser.serialize(value), "") == value
    assert ser.output_value(ser.GENERATOR_ITEM, ser.serialize(value), "") == value


def test_args_round_trip():
    assert ser.deserialize(ser.serialize_args((1, "two"), {"three": 3})) == ((1, "two"), {"three": 3})


def test_picklable_exception_comes_back_as_its_own_type():
    exc = round_trip(ModuleLevelError("bad input 7"))
    assert type(exc) is ModuleLevelError
    assert exc.args == ("bad input 7",)


def test_builtin_exception_comes_back_as_its_own_type():
    exc = round_trip(KeyError("missing"))
    assert type(exc) is KeyError
    assert exc.args == ("missing",)


def test_remote_exception_carries_the_remote_traceback_as_a_note():
    exc = round_trip(ModuleLevelError("bad input 7"))
    [note] = exc.__notes__
    assert note.startswith("\nRemote traceback:\n")
    assert "remote_function" in note
    assert "bad input 7" in note


def test_unpicklable_exception_becomes_remote_error():
    exc = round_trip(LockedError("holding a lock"))
    assert type(exc) is RemoteError
    assert exc.remote_type == f"{__name__}.LockedError"
    assert exc.remote_message == "holding a lock"
    assert "remote_function" in exc.remote_traceback
    assert "LockedError: holding a lock" in str(exc)


def test_exception_that_pickles_but_cannot_load_becomes_remote_error():
    exc = round_trip(TwoArgError("first", "second"))
    assert type(exc) is RemoteError
    assert exc.remote_type == f"{__name__}.TwoArgError"
    assert exc.remote_message == "first"


def test_remote_error_also_carries_the_traceback_note():
    exc = round_trip(LockedError("holding a lock"))
    assert any("Remote traceback:" in note and "remote_function" in note for note in exc.__notes__)


def test_exception_whose_object_does_not_load_here_becomes_remote_error():
    # it loaded in the container, but its class is not importable on the client
    payload = cloudpickle.dumps({"type": "theirs.Error", "message": "nope", "traceback": "Traceback: ...",
                                 "exc": b"not a pickle"})
    exc = ser.exception_from_payload(payload)
    assert type(exc) is RemoteError
    assert (exc.remote_type, exc.remote_message, exc.remote_traceback) == ("theirs.Error", "nope", "Traceback: ...")


def test_output_value_raises_the_remote_exception():
    payload = exception_payload(raised(ModuleLevelError("boom")), cloudpickle)
    with pytest.raises(ModuleLevelError, match="boom"):
        ser.output_value(ser.FAILURE, payload, "ModuleLevelError: boom")


def test_internal_failure_with_a_payload_raises_that_exception():
    # the container could not import the function: its ImportError travels as the payload
    exc = round_trip(ImportError("could not import function m:f"), status=ser.INTERNAL_FAILURE)
    assert type(exc) is ImportError
    assert "could not import function m:f" in str(exc)


def test_cancelled_is_input_cancellation():
    exc = ser.output_exception(ser.CANCELLED, b"", "the app was stopped")
    assert type(exc) is InputCancellation
    assert str(exc) == "the app was stopped"


def test_timeout_is_function_timeout_error():
    exc = ser.output_exception(ser.TIMEOUT, b"", "ran past 10 s")
    assert type(exc) is FunctionTimeoutError
    assert str(exc) == "ran past 10 s"


def test_internal_failure_without_data_is_execution_error_with_the_message():
    exc = ser.output_exception(ser.INTERNAL_FAILURE, b"", "container ct-1 exited with code 137")
    assert type(exc) is ExecutionError
    assert str(exc) == "container ct-1 exited with code 137"


@pytest.mark.parametrize("status", [ser.CANCELLED, ser.TIMEOUT, ser.INTERNAL_FAILURE, ser.FAILURE])
def test_empty_message_still_gives_a_readable_error(status):
    assert str(ser.output_exception(status, b"", "")) != ""


def test_remote_error_is_public():
    assert leveret.RemoteError is RemoteError


def test_status_values_agree_with_the_container_and_the_wire():
    from leveret._wire import api_pb2 as pb

    assert (ser.SUCCESS, ser.FAILURE, ser.GENERATOR_ITEM, ser.GENERATOR_DONE, ser.INTERNAL_FAILURE) == (
        protocol.STATUS_SUCCESS, protocol.STATUS_FAILURE, protocol.STATUS_GENERATOR_ITEM,
        protocol.STATUS_GENERATOR_DONE, protocol.STATUS_INTERNAL_FAILURE)
    assert (ser.SUCCESS, ser.FAILURE, ser.GENERATOR_ITEM, ser.GENERATOR_DONE, ser.CANCELLED, ser.TIMEOUT,
            ser.INTERNAL_FAILURE) == (
        pb.OUTPUT_STATUS_SUCCESS, pb.OUTPUT_STATUS_FAILURE, pb.OUTPUT_STATUS_GENERATOR_ITEM,
        pb.OUTPUT_STATUS_GENERATOR_DONE, pb.OUTPUT_STATUS_CANCELLED, pb.OUTPUT_STATUS_TIMEOUT,
        pb.OUTPUT_STATUS_INTERNAL_FAILURE)


def test_leveret_timeouts_are_builtin_timeout_errors_as_modal_s_are():
    import leveret.exception as ex

    assert issubclass(ex.TimeoutError, TimeoutError) and issubclass(ex.FunctionTimeoutError, TimeoutError)
    assert issubclass(ex.FunctionTimeoutError, ex.Error)


def test_plain_values_are_pickled_as_cloudpickle_pickles_them():
    import cloudpickle

    from leveret._serialization import serialize

    for value in ("k", "", "é" * 100, b"", b"x" * 100_000, 0, -1, 2**70, 3.5, True, None):
        assert serialize(value) == cloudpickle.dumps(value), value   # a Dict's keys compare as these bytes
