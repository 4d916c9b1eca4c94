"""`Listing`: a list read from a host that knows whether it is complete.

A host can send an object the client cannot read (a name with a control character the serializer did
not escape, a row `parse` does not understand). Dropping it would show a list that looks whole and is
not, and a person would act on it (no checkpoint named X, so create one). A Listing keeps what was read,
in the host's order, and says how many objects were left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

T = TypeVar("T")


class Listing(list[T]):
    """The readable items, in order; `unreadable` counts the ones the host sent that could not be read."""

    def __init__(self, items: Iterable[T] = (), *, unreadable: int = 0) -> None:
        super().__init__(items)
        self.unreadable = unreadable

    @property
    def complete(self) -> bool:
        return self.unreadable == 0

    def incomplete_text(self) -> str:
        """What a person reads under an incomplete list ("" when it is complete)."""
        if self.complete:
            return ""
        things = "1 item" if self.unreadable == 1 else f"{self.unreadable} items"
        return f"Incomplete: {things} sent by the host could not be read (see the log)."
