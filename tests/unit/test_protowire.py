"""_shared/protowire.py, the wire format a container's SDK writes the direct port's messages in
without protobuf, checked against protobuf itself on every message the direct port serves."""

import struct

import pytest

from leveret._shared import protowire
from leveret._shared.protowire import WireError
from leveret._wire import api_pb2 as pb
from leveret._wire.direct import METHODS, wire_schema

SCHEMA = wire_schema(METHODS)

# Each message of the direct port with every field set (and one with none: all defaults).
MESSAGES = [
    pb.DictUpdateRequest(dict_id="di-1", entries=[pb.DictEntry(key=b"k\x00", value=b"\xff" * 300),
                                                  pb.DictEntry(key=b"", value=b"v")], skip_if_exists=True),
    pb.DictUpdateResponse(written=2),
    pb.DictGetRequest(dict_id="di-é", key=b"\x80\x05k", pop=True, exists_only=True),
    pb.DictGetResponse(found=True, value=b"x" * 70_000),   # a length of three varint bytes
    pb.DictLenResponse(len=2**40),
    pb.DictContentsRequest(dict_id="di-1", after_key=b"a", has_after=True, limit=7),
    pb.DictContentsResponse(entries=[pb.DictEntry(key=b"a", value=b"1"), pb.DictEntry(key=b"b", value=b"")]),
    pb.QueuePutRequest(queue_id="qu-1", partition=b"p", values=[b"1", b"", b"3"], partition_ttl=86400.5,
                       timeout_s=-1.0),
    pb.QueueGetRequest(queue_id="qu-1", n_values=10, timeout_s=0.25),
    pb.QueueGetResponse(values=[b"a", b"b"]),
    pb.QueueLenResponse(len=3, partitions=1),
    pb.DictGetResponse(),
]


def fields_of(message) -> dict:
    """What decode should give: every field, a message's as a dict, a repeated one as a list."""
    out = {}
    for f in message.DESCRIPTOR.fields:
        value = getattr(message, f.name)
        if f.message_type is not None:
            out[f.name] = [fields_of(m) for m in value] if f.is_repeated else fields_of(value)
        else:
            out[f.name] = list(value) if f.is_repeated else value
    return out


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: type(m).__name__)
def test_what_protobuf_writes_protowire_reads_and_the_other_way(message):
    name = type(message).__name__
    fields = fields_of(message)
    assert protowire.decode(SCHEMA, name, message.SerializeToString()) == fields
    assert type(message).FromString(protowire.encode(SCHEMA, name, fields)) == message


def test_the_schema_covers_every_request_and_response_of_the_direct_port():
    for method in METHODS:
        assert method + "Request" in SCHEMA and method + "Response" in SCHEMA
    assert SCHEMA["DictEntry"] == {"key": [1, "bytes", False], "value": [2, "bytes", False]}


def test_negative_integers_and_packed_repeated_numbers():
    schema = {"ContainerExecResponse": {"exit_code": [pb.ContainerExecResponse.DESCRIPTOR.fields_by_name["exit_code"].number,
                                                      "int", False]},
              "Numbers": {"n": [1, "uint", True], "x": [2, "double", True]}}
    data = pb.ContainerExecResponse(exit_code=-9).SerializeToString()
    assert protowire.decode(schema, "ContainerExecResponse", data)["exit_code"] == -9
    assert protowire.encode(schema, "ContainerExecResponse", {"exit_code": -9}) == data
    packed = bytes([1 << 3 | 2, 3, 1, 0x96, 0x01, 2 << 3 | 2, 16]) + struct.pack("<dd", 2.5, -1.0)
    assert protowire.decode(schema, "Numbers", packed) == {"n": [1, 150], "x": [2.5, -1.0]}


def test_unknown_fields_are_skipped_and_broken_bytes_refused():
    data = pb.DictGetRequest(dict_id="di-1", key=b"k", pop=True).SerializeToString()
    only_key = {"DictGetRequest": {"key": SCHEMA["DictGetRequest"]["key"]}}
    assert protowire.decode(only_key, "DictGetRequest", data) == {"key": b"k"}
    with pytest.raises(WireError):
        protowire.decode(SCHEMA, "DictGetRequest", data[:-1])   # ends inside a field
    with pytest.raises(WireError):
        protowire.decode(SCHEMA, "DictGetRequest", bytes([2 << 3 | 0, 1]))   # key, as a number
    with pytest.raises(WireError, match="no field 'nope'"):
        protowire.encode(SCHEMA, "DictGetRequest", {"nope": 1})


def test_a_schema_of_kinds_protowire_cannot_write_is_refused():
    with pytest.raises(ValueError, match="AppLookupResponse.state: a field of type 14"):
        wire_schema(["AppLookup"])
