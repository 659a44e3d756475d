"""MongoDB wire protocol framing: OP_MSG and legacy OP_QUERY in, OP_MSG and OP_REPLY out."""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass
from typing import Any

import bson

OP_REPLY = 1
OP_QUERY = 2004
OP_MSG = 2013

CHECKSUM_PRESENT = 1 << 0
MORE_TO_COME = 1 << 1
# Bits 0-15 are "required": a receiver must reject a message with an unknown one set.
_KNOWN_REQUIRED_FLAGS = CHECKSUM_PRESENT | MORE_TO_COME

MAX_BSON_OBJECT_SIZE = 16 * 1024 * 1024
MAX_MESSAGE_SIZE = 48_000_000

_HEADER = struct.Struct("<iiii")
_INT32 = struct.Struct("<i")
_UINT32 = struct.Struct("<I")


class ProtocolError(Exception):
    """The peer sent something that is not a valid message: the connection is closed."""


@dataclass(frozen=True)
class Request:
    """One decoded client message."""

    request_id: int
    op_code: int
    command: dict[str, Any]
    database: str
    more_to_come: bool = False


async def read_request(reader: asyncio.StreamReader) -> Request:
    """Read and decode the next message; raises IncompleteReadError at end of stream."""
    header = await reader.readexactly(_HEADER.size)
    length, request_id, _response_to, op_code = _HEADER.unpack(header)
    if length < _HEADER.size or length > MAX_MESSAGE_SIZE:
        raise ProtocolError(f"invalid message length {length}")
    body = await reader.readexactly(length - _HEADER.size)
    if op_code == OP_MSG:
        return _parse_op_msg(request_id, body)
    if op_code == OP_QUERY:
        return _parse_op_query(request_id, body)
    raise ProtocolError(f"unsupported opCode {op_code}")


def _parse_op_msg(request_id: int, body: bytes) -> Request:
    (flags,) = _UINT32.unpack_from(body, 0)
    if flags & 0xFFFF & ~_KNOWN_REQUIRED_FLAGS:
        raise ProtocolError(f"unknown required OP_MSG flag bits {flags:#x}")
    end = len(body) - (4 if flags & CHECKSUM_PRESENT else 0)
    offset = 4
    command: dict[str, Any] | None = None
    sequences: dict[str, list[dict[str, Any]]] = {}
    while offset < end:
        kind = body[offset]
        offset += 1
        (size,) = _INT32.unpack_from(body, offset)
        if size < 5 or offset + size > end:
            raise ProtocolError("OP_MSG section overruns the message")
        if kind == 0:
            command = bson.decode(body[offset : offset + size])
        elif kind == 1:
            name_end = body.index(b"\x00", offset + 4)
            identifier = body[offset + 4 : name_end].decode()
            sequences[identifier] = bson.decode_all(body[name_end + 1 : offset + size])
        else:
            raise ProtocolError(f"unknown OP_MSG section kind {kind}")
        offset += size
    if command is None:
        raise ProtocolError("OP_MSG without a body section")
    command.update(sequences)
    return Request(
        request_id=request_id,
        op_code=OP_MSG,
        command=command,
        database=str(command.get("$db", "admin")),
        more_to_come=bool(flags & MORE_TO_COME),
    )


def _parse_op_query(request_id: int, body: bytes) -> Request:
    name_end = body.index(b"\x00", 4)
    namespace = body[4:name_end].decode()
    offset = name_end + 1 + 8  # numberToSkip, numberToReturn
    (size,) = _INT32.unpack_from(body, offset)
    query = bson.decode(body[offset : offset + size])
    if "$query" in query:  # legacy wrapped form: {$query: {...}, $readPreference: ...}
        query = dict(query["$query"])
    database, _, collection = namespace.partition(".")
    if collection != "$cmd":
        raise ProtocolError(f"legacy OP_QUERY is only supported on $cmd, not {namespace!r}")
    return Request(request_id=request_id, op_code=OP_QUERY, command=query, database=database)


def encode_reply(request: Request, reply_id: int, document: dict[str, Any]) -> bytes:
    """Frame ``document`` as the answer to ``request``: OP_MSG, or OP_REPLY for OP_QUERY."""
    payload = bson.encode(document)
    if request.op_code == OP_QUERY:
        body = struct.pack("<iqii", 0, 0, 0, 1) + payload
        op_code = OP_REPLY
    else:
        body = _UINT32.pack(0) + b"\x00" + payload
        op_code = OP_MSG
    return _HEADER.pack(_HEADER.size + len(body), reply_id, request.request_id, op_code) + body
