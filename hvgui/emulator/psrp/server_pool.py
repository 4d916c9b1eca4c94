"""psrpcore's server runspace pool, adjusted where it disagrees with real clients.

It also gains a way to drop unprocessed input after a decoding error.

MS-PSRP names the call id of SET_MAX_RUNSPACES and SET_MIN_RUNSPACES `CI` (upper case), and clients
(pypsrp, PowerShell) send it that way, while psrpcore 0.3.1 reads `ci` and fails on every such message.
The call id is copied to the spelling psrpcore expects before psrpcore handles the message. Only these
two handlers are touched; psrpcore is pinned, so the override cannot drift silently.
"""

from __future__ import annotations

from typing import Any

import psrpcore
from psrpcore.types import add_note_property


def _add_lowercase_call_id(event: Any) -> None:
    message = event._ps_object
    if not hasattr(message, "ci") and hasattr(message, "CI"):
        add_note_property(message, "ci", message.CI)


class EmulatedRunspacePool(psrpcore.ServerRunspacePool):
    def discard_unprocessed_input(self) -> None:
        """Forget input psrpcore could not process, so one bad request does not poison the next ones.

        psrpcore keeps undecodable bytes and half-assembled messages after an error; the client never
        resends them, so they would only make every later fragment look out of sequence.
        """
        self._receive_buffer = bytearray()
        self._incoming_fragments.clear()
        self._incoming_messages.clear()

    def _process_SetMaxRunspaces(self, event: psrpcore.SetMaxRunspacesEvent) -> None:
        _add_lowercase_call_id(event)
        super()._process_SetMaxRunspaces(event)

    def _process_SetMinRunspaces(self, event: psrpcore.SetMinRunspacesEvent) -> None:
        _add_lowercase_call_id(event)
        super()._process_SetMinRunspaces(event)
