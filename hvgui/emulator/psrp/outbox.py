"""Messages waiting for a Receive, one queue per target (the pool, or one pipeline).

psrpcore keeps a single send buffer for the whole pool, while a WS-Man Receive asks for one target.
Messages are therefore drained from psrpcore as soon as they exist and parked here; each Receive then
takes only its own target's messages and cuts them into fragments that fit the envelope size that very
request allows (a message too big for one reply continues in the next one, as on a Windows host).
"""

from __future__ import annotations

import base64
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from hvgui.emulator.psrp.fragments import FRAGMENT_HEADER_SIZE, build_fragment

Target = uuid.UUID | None

#: Room for the reply's SOAP envelope around the streams (headers, ReceiveResponse, CommandState).
ENVELOPE_OVERHEAD = 2048
#: Room for one `<rsp:Stream Name="stdout" CommandId="...">` wrapper.
STREAM_OVERHEAD = 128
#: A message is not split to fill the tail of a reply with fewer payload bytes than this.
MIN_FRAGMENT_PAYLOAD = 1024
#: How long a Receive for a still-running pipeline keeps gathering once data is there. Windows
#: batches a pipeline's output with its final state when they come close together; so does this.
COALESCE_SECONDS = 0.1


class OutboxClosed(Exception):
    """The pool was closed while a Receive was waiting."""


@dataclass
class _Message:
    object_id: int
    data: bytes
    starts_reply: bool
    offset: int = 0
    next_fragment_id: int = 0

    @property
    def remaining(self) -> int:
        return len(self.data) - self.offset


def encoded_size(payload_length: int) -> int:
    """Bytes a fragment with this much payload takes in a reply, base64 and wrapper included."""
    return 4 * ((FRAGMENT_HEADER_SIZE + payload_length + 2) // 3) + STREAM_OVERHEAD


class Outbox:
    """Per-target message queues guarded by the pool's condition (every method expects it held)."""

    def __init__(self, condition: threading.Condition) -> None:
        self._condition = condition
        self._queues: dict[Target, deque[_Message]] = {}
        self._closed = False

    def put(self, target: Target, object_id: int, message: bytes, *, starts_reply: bool = False) -> None:
        """Queue one whole message. `starts_reply` keeps it out of a reply that already carries data."""
        self._queues.setdefault(target, deque()).append(_Message(object_id, message, starts_reply))

    def has_data(self, target: Target) -> bool:
        return bool(self._queues.get(target))

    def discard(self, target: Target) -> None:
        self._queues.pop(target, None)

    def close(self) -> None:
        self._closed = True
        self._queues.clear()
        self._condition.notify_all()

    def take(
        self,
        target: Target,
        *,
        timeout: float,
        max_reply_size: int,
        settled: Callable[[], bool] = lambda: True,
    ) -> list[bytes]:
        """Wait for the target's data and return fragments that fit one reply.

        Raises TimeoutError when nothing arrives within `timeout` seconds. `settled` tells whether the
        target can produce no more data (a finished pipeline); until then the reply gathers for up to
        COALESCE_SECONDS so output and the final state usually travel together.
        """
        deadline = time.monotonic() + timeout
        while not self.has_data(target):
            if self._closed:
                raise OutboxClosed
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            self._condition.wait(remaining)
        budget = max_reply_size - ENVELOPE_OVERHEAD
        gather_until = min(deadline, time.monotonic() + COALESCE_SECONDS)
        while not self._closed and not settled() and self._queued_size(target) < budget:
            remaining = gather_until - time.monotonic()
            if remaining <= 0:
                break
            self._condition.wait(remaining)
        if self._closed:
            raise OutboxClosed
        return self._pack(self._queues[target], budget)

    def _queued_size(self, target: Target) -> int:
        return sum(encoded_size(m.remaining) for m in self._queues.get(target, ()))

    @staticmethod
    def _pack(queue: deque[_Message], budget: int) -> list[bytes]:
        fragments: list[bytes] = []
        while queue:
            message = queue[0]
            if fragments and message.offset == 0 and message.starts_reply:
                break
            room = (budget - STREAM_OVERHEAD) // 4 * 3 - FRAGMENT_HEADER_SIZE
            if fragments and room < min(message.remaining, MIN_FRAGMENT_PAYLOAD):
                break
            length = max(1, min(message.remaining, room))
            chunk = message.data[message.offset : message.offset + length]
            fragments.append(
                build_fragment(
                    message.object_id,
                    message.next_fragment_id,
                    chunk,
                    start=message.offset == 0,
                    end=message.offset + length == len(message.data),
                )
            )
            message.offset += length
            message.next_fragment_id += 1
            budget -= encoded_size(length)
            if message.remaining == 0:
                queue.popleft()
        return fragments


def encode(fragment: bytes) -> str:
    return base64.b64encode(fragment).decode("ascii")
