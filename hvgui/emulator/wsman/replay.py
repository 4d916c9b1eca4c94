"""Answer a re-sent Receive with the reply the first one got, byte for byte.

A Receive takes fragments out of the shell's output queue, so running a retransmission again would hand
the client the *next* fragments and lose the ones whose reply never arrived. pypsrp re-posts the identical
envelope (same MessageID) when its HTTP read times out, trusting that "sending the exact same request
again will return the same data" (`hyperv-cim-winrm.md` §6.a). MS-WSMV defines replay only for Robust
Connection (OperationID), which pypsrp does not send; keeping the last reply per Receive target is what a
host must do for that client to work across a pause. # plausible WS2022 behaviour

Only the latest Receive of each target (the pool, or one pipeline) can be re-sent, so that is all that is
kept, and only for the few most recent targets of a shell: memory stays bounded however long a shell lives.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

R = TypeVar("R")

#: Receive targets remembered per shell: the pool plus the pipelines a client polls at the same time.
TARGETS_PER_SHELL = 4


class _Pending(Generic[R]):
    def __init__(self, message_id: str) -> None:
        self.message_id = message_id
        self.done = threading.Event()
        self.reply: R | None = None


class ReplayCache(Generic[R]):
    """The last reply per (shell, command) Receive target, by MessageID. A retransmission that arrives while
    the first is still being answered waits for that answer instead of taking output of its own."""

    def __init__(self) -> None:
        self._shells: dict[str, OrderedDict[str | None, _Pending[R]]] = {}
        self._lock = threading.Lock()
        #: How many requests were answered from the cache (tests read it).
        self.replayed = 0

    def answer(
        self, shell_id: str, command_id: str | None, message_id: str, compute: Callable[[], R], *, wait: float
    ) -> R:
        """`compute()`'s reply for a new Receive; the same reply again for a re-sent one."""
        with self._lock:
            targets = self._shells.setdefault(shell_id, OrderedDict())
            entry = targets.get(command_id)
            replay = entry is not None and entry.message_id == message_id
            if not replay:
                entry = _Pending(message_id)
                targets[command_id] = entry
                while len(targets) > TARGETS_PER_SHELL:
                    targets.popitem(last=False)
            targets.move_to_end(command_id)
        assert entry is not None
        if not replay:
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

    def forget_shell(self, shell_id: str) -> None:
        """The shell is gone: its replies can never be asked for again."""
        with self._lock:
            self._shells.pop(shell_id, None)
