"""The container protocol (leveret/container/protocol.py): every message kind survives a round trip,
and what is not a frame — truncated, oversized, of an unknown kind or another version, garbage — is
refused with a ProtocolError that says why, never another exception."""

import asyncio
import pickle
import socket
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leveret.container import protocol as P
from leveret.worker.container_log import _utf8

MESSAGES = sorted(P.FROM_CONTAINER | P.TO_CONTAINER | P.FROM_CALLER | P.TO_CALLER, key=lambda cls: cls.KIND)

# Text as functions write it: any code point, NUL, and the lone surrogates that undecodable bytes
# become (surrogateescape) or that a str may hold.
TEXT = st.text(st.one_of(st.characters(exclude_categories=()), st.sampled_from("\0\udc80\udcff\ud800é€\n")))
NAMES = st.text(st.one_of(st.characters(exclude_categories=(), exclude_characters="\0"),
                          st.sampled_from("\udc80\ud800é€\n=")))   # ids, argv, paths, the environment: no NUL
_STRUCT = {"B": (0, 2**8 - 1), "H": (0, 2**16 - 1), "I": (0, 2**32 - 1), "Q": (0, 2**64 - 1), "i": (-2**31, 2**31 - 1)}


def field(code: str):
    if code in _STRUCT:
        return st.integers(*_STRUCT[code])
    return {"d": st.floats(allow_nan=False), "?": st.booleans(), "s": TEXT, "b": st.binary(),
            "o": st.none() | st.binary(), "S": st.lists(NAMES, max_size=5),
            "m": st.dictionaries(NAMES, NAMES, max_size=5), "f": st.lists(st.tuples(NAMES, st.binary()), max_size=5)}[code]


@st.composite
def messages(draw, cls):
    """Any message of ``cls``, built through its constructor by field name."""
    n = draw(st.integers(0, 8))   # the rows of a batch
    fields = {}
    for name, code in zip(cls.__slots__, cls._SCHEMA):
        if name == "version":
            continue   # another version is refused: below
        if code[0] == "*":   # a column: of single names where its code is "S"
            fields[name] = draw(st.lists(NAMES if code[1] == "S" else field(code[1]), min_size=n, max_size=n))
        else:
            fields[name] = draw(field(code))
    return cls(**fields)


@pytest.mark.parametrize("cls", MESSAGES, ids=lambda cls: cls.__name__)
@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_message_kind_survives_a_round_trip(cls, data):
    msg = data.draw(messages(cls))
    frame = P.encode(msg)
    assert P.HEADER.unpack_from(frame) == (len(frame) - P.HEADER.size, cls.KIND)
    assert P.decode_frame(frame) == msg


@pytest.mark.parametrize("cls", MESSAGES, ids=lambda cls: cls.__name__)
@settings(max_examples=50, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_truncated_frame_is_refused(cls, data):
    frame = P.encode(data.draw(messages(cls)))
    cut = data.draw(st.integers(0, len(frame) - 1))
    with pytest.raises(P.ProtocolError):
        P.decode_frame(frame[:cut])
    body = frame[P.HEADER.size:]
    if body:   # a header that says less than was written: the body is cut, whatever its length says
        with pytest.raises(P.ProtocolError, match=f"malformed {cls.__name__} frame"):
            P.decode(cls.KIND, body[:data.draw(st.integers(0, len(body) - 1))])


@pytest.mark.parametrize("cls", MESSAGES, ids=lambda cls: cls.__name__)
@settings(max_examples=200)
@given(body=st.binary(max_size=64))
def test_garbage_is_refused_with_a_protocol_error_and_nothing_else(cls, body):
    try:
        msg = P.decode(cls.KIND, body)
    except P.ProtocolError:
        return
    assert type(msg) is cls and P.encode(msg)   # what it read is a message like any other


def test_batches_carry_their_rows_in_columns_and_none_where_a_payload_came_as_blob_chunks():
    rows = [("in-1", 0, b"\x80args", "fc-1"), ("in-2", 3, None, "fc-1"), ("in-3", 1, b"", "fc-2")]
    msg = P.decode_frame(P.encode(P.Inputs.of(rows)))
    assert [list(msg.input_ids), list(msg.attempts), list(msg.args)] == [["in-1", "in-2", "in-3"], [0, 3, 1], [b"\x80args", None, b""]]
    assert msg.rows() == rows
    assert list(P.decode_frame(P.encode(P.Inputs(["in-1"], [0], [b""]))).call_ids) == [""]   # no call named
    outputs = [("in-1", 0, P.STATUS_SUCCESS, None, 0, ""), ("in-2", 1, P.STATUS_FAILURE, b"x", 0, "ValueError: a\0b é")]
    msg = P.decode_frame(P.encode(P.Outputs.of(outputs, 0.25)))
    assert msg.rows() == outputs and msg.busy_s == 0.25
    assert P.decode_frame(P.encode(P.Outputs.of([], 0.0))).rows() == []


def test_text_that_was_not_utf8_stays_as_it_was_written_and_the_worker_shows_u_fffd():
    text = b"ok \xff\xfe done\n".decode("utf-8", "surrogateescape")   # what the bootstrap's stdout.buffer makes
    msg = P.decode_frame(P.encode(P.Log(1, text, "in-1")))
    assert msg.text == text
    assert _utf8(msg.text) == "ok \ufffd\ufffd done\n"


def test_a_frame_over_the_limit_is_refused_from_its_header_alone():
    with pytest.raises(P.ProtocolError, match="exceeds the 1073741824 byte limit"):
        P.split_header(P.HEADER.pack(P.MAX_FRAME + 1, P.Log.KIND))


def test_a_frame_of_an_unknown_kind_is_refused():
    with pytest.raises(P.ProtocolError, match="unknown frame kind 99"):
        P.decode_frame(P.HEADER.pack(0, 99))


def test_a_pickled_frame_from_an_older_bootstrap_is_refused_saying_so():
    body = pickle.dumps(("hello", {"started_at": 1.0}), protocol=4)
    with pytest.raises(P.ProtocolError, match="pickled frame: the container's bootstrap speaks an older protocol"):
        P.decode_frame(struct.pack("!I", len(body)) + body)


def test_a_hello_of_another_version_is_refused_naming_both():
    frame = P.encode(P.Hello(1.0, 1.0, 1.0, version=P.VERSION + 1))
    with pytest.raises(P.VersionMismatch, match=f"protocol version {P.VERSION + 1} and its worker {P.VERSION}"):
        P.decode_frame(frame)
    with pytest.raises(P.VersionMismatch):
        P.decode_frame(P.encode(P.Warm(1.0, version=0)))
    with pytest.raises(P.VersionMismatch):   # a calls connection's first frame too
        P.decode_frame(P.encode(P.CallsOpen(version=P.VERSION + 1)))


def test_a_batch_that_says_more_rows_than_its_frame_can_hold_is_refused_at_once():
    body = struct.pack("=I", 2**32 - 1) + b"\0" * 16
    with pytest.raises(P.ProtocolError, match="4294967295 items cannot fit"):
        P.decode(P.Inputs.KIND, body)


def test_left_over_bytes_are_refused():
    frame = P.encode(P.BlobAbort("in-1"))
    with pytest.raises(P.ProtocolError, match="1 bytes left over"):
        P.decode(P.BlobAbort.KIND, frame[P.HEADER.size:] + b"!")


@pytest.mark.parametrize("msg, error", [
    (P.Inputs(["in-1", "in-2"], [0], [b"", b""]), "its columns differ in length"),
    (P.Inputs(["in-1"], [2**32], [b""]), "cannot encode Inputs"),
    (P.Outputs(["in-1"], [0], [1], ["not bytes"], [0], [""]), "cannot encode Outputs"),
    (P.Blob("in-1", None), "cannot encode Blob"),
    (P.Inputs(["in\0-1"], [0], [b""]), "a name has a NUL in it"),
    (P.ExecStart("ex-1", ["sh"], {"A": "x\0y"}), "a name has a NUL in it"),
])
def test_what_is_not_a_message_is_not_encoded(msg, error):
    with pytest.raises(P.ProtocolError, match=error):
        P.encode(msg)


def test_messages_go_only_the_way_they_are_meant():
    assert P.Inputs not in P.FROM_CONTAINER and P.Load not in P.FROM_CONTAINER
    assert P.Hello not in P.TO_CONTAINER and P.Outputs not in P.TO_CONTAINER
    assert not (P.FROM_CALLER | P.TO_CALLER) & (P.FROM_CONTAINER | P.TO_CONTAINER)   # a calls connection's own
    assert {cls.KIND for cls in MESSAGES} == set(P.KINDS)


def test_the_protocol_module_names_every_message_and_what_both_sides_use():
    assert sorted(P.__all__) == sorted(set(P.__all__))
    assert all(hasattr(P, name) for name in P.__all__)
    assert {cls.__name__ for cls in P.KINDS.values()} <= set(P.__all__)


# ---------------------------------------------------------------------- over sockets


def test_messages_sent_back_to_back_are_read_one_at_a_time_and_a_close_is_eof():
    a, b = socket.socketpair()
    b.settimeout(5)
    with a, b:
        a.sendall(P.encode(P.Warm(1.5)) + P.encode(P.Stop()) + P.encode(P.Blob("in-1", b"x" * 100_000)))
        assert P.recv_message(b) == P.Warm(1.5)
        assert P.recv_message(b) == P.Stop()
        assert P.recv_message(b) == P.Blob("in-1", b"x" * 100_000)
        a.sendall(P.encode(P.Cancel("in-1"))[:-1])   # closed mid-frame
        a.close()
        with pytest.raises(EOFError):
            P.recv_message(b)


def test_the_asyncio_reader_refuses_an_oversized_header_before_reading_its_body():
    async def main():
        reader = asyncio.StreamReader()
        reader.feed_data(P.encode(P.Log(2, "line\n", "in-1")) + P.HEADER.pack(P.MAX_FRAME + 1, P.Log.KIND))
        assert await P.read_message(reader) == P.Log(2, "line\n", "in-1")
        with pytest.raises(P.ProtocolError, match="exceeds"):
            await P.read_message(reader)

    asyncio.run(main())


def test_the_running_marker_names_the_input_running_and_nothing_once_cleared(tmp_path):
    assert P.read_running(str(tmp_path)) is None   # no marker kept
    marker = P.RunningMarker(str(tmp_path / P.RUNNING_FILE))
    marker.set("in-" + "7" * 300)
    assert P.read_running(str(tmp_path)) == ("in-" + "7" * 300)[:P.MARKER_SIZE - 1]
    marker.set("in-2")
    assert P.read_running(str(tmp_path)) == "in-2"
    marker.clear()
    assert P.read_running(str(tmp_path)) == ""


def test_the_function_spec_round_trips():
    spec = {"module": "app", "name": "Model.run", "mount_dir": "/code", "max_inputs": "4"}
    assert P.parse_spec(P.format_spec(spec)) == spec
