"""Find the output objects pypsrp could not read, instead of letting them pass as strings.

When pypsrp cannot parse an object's CLIXML (e.g. a raw control character inside it) it logs a warning
and returns the raw XML text as if the host had sent a string. A real string never looks like that: the
host sends it as `<S>` and pypsrp decodes it, so a text that starts as a CLIXML object and is not even
well-formed XML is an object that was lost on the way. Those are counted, logged with an excerpt, and
left out of the output.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from typing import Any

log = logging.getLogger(__name__)

#: How much of an unreadable object the log shows.
EXCERPT = 300


def is_unreadable_object(item: Any) -> bool:
    """True for the raw CLIXML text pypsrp hands back for an object it failed to parse."""
    if not isinstance(item, str) or not item.startswith("<Obj "):
        return False
    try:
        ET.fromstring(item)
    except ET.ParseError:
        return True
    return False


def split_unreadable(output: list[Any], *, command: str, endpoint: str) -> tuple[tuple[Any, ...], int]:
    """The readable output in order, and how many objects could not be read (each one is logged)."""
    readable = []
    unreadable = 0
    for item in output:
        if is_unreadable_object(item):
            unreadable += 1
            log.warning(
                "%s on %s sent an object hvgui cannot read; it is left out and the list is marked incomplete: %s",
                command,
                endpoint,
                item[:EXCERPT],
            )
        else:
            readable.append(item)
    return tuple(readable), unreadable
