"""Answer a re-sent Receive with the reply the first one got, byte for byte.

A Receive takes fragments out of the shell's output queue, so running a retransmission again would hand
the client the *next* fragments and lose the ones whose reply never arrived. pypsrp re-posts the identical
envelope (same MessageID) when its HTTP read times out, trusting that "sending the exact same request
again will return the same data" (`hyperv-cim-winrm.md` §6.a). MS-WSMV defines replay only for Robust
Connection (OperationID), which pypsrp does not send; keeping the last replies per MessageID is what a
host must do for that client to work across a pause. # plausible WS2022 behaviour
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

R = TypeVar("R")

#: Replies kept; a client has at most a few Receives outstanding per shell, so this covers many shells.
DEFAULT_CAPACITY = 256


class _Pending(Generic[R]):
    def __init__(self) -> None:
        self.done = threading.Event()
        self.reply: R | None = None


class ReplayCache(Generic[R]):
    """Replies by request MessageID. A retransmission that arrives while the first is still being answered
    waits for that answer instead of taking output of its own."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._capacity = capacity
        self._entries: OrderedDict[str, _Pending[R]] = OrderedDict()
        self._lock = threading.Lock()
        #: How many requests were answered from the cache (tests read it).
        self.replayed = 0

    def answer(self, message_id: str, compute: Callable[[], R], *, wait: float) -> R:
        """`compute()`'s reply for a new MessageID; the same reply again for one seen before."""
        with self._lock:
            entry = self._entries.get(message_id)
            first = entry is None
            if entry is None:
                entry = _Pending()
                self._entries[message_id] = entry
                while len(self._entries) > self._capacity:
                    self._entries.popitem(last=False)
            else:
                self._entries.move_to_end(message_id)
        if first:
            try:
                entry.reply = compute()
            finally:
                entry.done.set()
            assert entry.reply is not None
            return entry.reply
        entry.done.wait(wait)
        with self._lock:
            self.replayed += 1
        if entry.reply is None:  # the first answer failed or is still pending: answer afresh
            return compute()
        return entry.reply
