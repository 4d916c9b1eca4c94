"""The PSRP fragment and message headers (MS-PSRP 2.2.4 and 2.2.1), read and written by hand.

psrpcore builds and parses whole messages; the emulator still needs to cut messages into fragments
sized for each Receive reply, and to read a pipeline id from the first fragment of a Command before
psrpcore sees it (the ServerPipeline must exist first).
"""

from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass

FRAGMENT_HEADER = struct.Struct(">QQBI")  # object id, fragment id, start/end flags, length
FRAGMENT_HEADER_SIZE = FRAGMENT_HEADER.size  # 21
MESSAGE_HEADER_SIZE = 40  # destination, message type, runspace pool id, pipeline id
START = 0x1
END = 0x2

SESSION_CAPABILITY = 0x00010002
RUNSPACEPOOL_STATE = 0x00021005
CREATE_PIPELINE = 0x00021006
GET_COMMAND_METADATA = 0x0002100A


class FragmentError(ValueError):
    """Bytes that are not a sequence of well-formed PSRP fragments."""


@dataclass(frozen=True)
class Fragment:
    object_id: int
    fragment_id: int
    start: bool
    end: bool
    data: bytes


def split_fragments(data: bytes) -> list[Fragment]:
    """Split a buffer holding one or more whole fragments."""
    fragments = []
    offset = 0
    while offset < len(data):
        if len(data) - offset < FRAGMENT_HEADER_SIZE:
            raise FragmentError("truncated fragment header")
        object_id, fragment_id, flags, length = FRAGMENT_HEADER.unpack_from(data, offset)
        offset += FRAGMENT_HEADER_SIZE
        if len(data) - offset < length:
            raise FragmentError("fragment shorter than its declared length")
        fragments.append(
            Fragment(object_id, fragment_id, bool(flags & START), bool(flags & END), data[offset : offset + length])
        )
        offset += length
    return fragments


def build_fragment(object_id: int, fragment_id: int, data: bytes, *, start: bool, end: bool) -> bytes:
    flags = (START if start else 0) | (END if end else 0)
    return FRAGMENT_HEADER.pack(object_id, fragment_id, flags, len(data)) + data


def message_type(message: bytes) -> int | None:
    """The message type of a message (or the first fragment's data of one); None when too short."""
    if len(message) < 8:
        return None
    return int(struct.unpack_from("<I", message, 4)[0])


def first_message_pipeline_id(data: bytes) -> uuid.UUID | None:
    """The pipeline id in the message header of the first fragment in `data`, or None if it is not readable."""
    try:
        first = split_fragments(data)[0] if data else None
    except FragmentError:
        return None
    if first is None or not first.start or len(first.data) < MESSAGE_HEADER_SIZE:
        return None
    return uuid.UUID(bytes_le=bytes(first.data[24:40]))
