"""`HistoryQueries`: the UI's questions to the history run on one worker thread; answers come back as calls
on the Qt thread.

The Qt thread never touches SQLite: a view asks (`ask(question, answer)`), a worker thread runs `question`
with the reader, and `answer` is called on the Qt thread through a queued signal. Questions run one after
another, in order, so a view that asks again gets its answers in the order it asked.

The store lets rows gather before it writes them (`hvgui.history.store`), so a view that asks right after a
change would not find it in the file: `catch_up` (the store's flush) runs on the worker thread before each
question, and every answer includes what was recorded before it was asked.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Signal

from hvgui.history import HistoryReader

log = logging.getLogger(__name__)


class HistoryQueries(QObject):
    """Runs reader questions off the Qt thread; `pending` counts questions not answered yet."""

    _answered = Signal(int, object, object)  # ticket, result, error

    def __init__(
        self, reader: HistoryReader, parent: QObject | None = None, *, catch_up: Callable[[], object] | None = None
    ) -> None:
        super().__init__(parent)
        self.reader = reader
        self._catch_up = catch_up
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hvgui-history-reader")
        self._tickets = itertools.count(1)
        self._answers: dict[int, tuple[Callable[[Any], None], Callable[[BaseException], None] | None]] = {}
        self._closed = False
        self._answered.connect(self._deliver)

    @property
    def pending(self) -> int:
        return len(self._answers)

    def ask(
        self,
        question: Callable[[HistoryReader], Any],
        answer: Callable[[Any], None],
        failed: Callable[[BaseException], None] | None = None,
    ) -> int:
        if self._closed:
            return 0
        ticket = next(self._tickets)
        self._answers[ticket] = (answer, failed)
        self._executor.submit(self._run, ticket, question)
        return ticket

    def _run(self, ticket: int, question: Callable[[HistoryReader], Any]) -> None:
        try:
            if self._catch_up is not None:
                self._catch_up()
            result = question(self.reader)
        except Exception as exc:
            log.warning("a heartbeat history query failed: %s", exc)
            self._emit(ticket, None, exc)
        else:
            self._emit(ticket, result, None)

    def _emit(self, ticket: int, result: object, error: object) -> None:
        with contextlib.suppress(RuntimeError):  # the object is gone (window closed): nobody waits
            self._answered.emit(ticket, result, error)

    def _deliver(self, ticket: int, result: object, error: object) -> None:
        callbacks = self._answers.pop(ticket, None)
        if callbacks is None or self._closed:
            return
        answer, failed = callbacks
        if error is not None:
            if failed is not None:
                failed(error)  # type: ignore[arg-type]
            return
        answer(result)

    def close(self) -> None:
        """Stop answering; questions already running finish on their thread and are dropped."""
        self._closed = True
        self._answers.clear()
        self._executor.shutdown(wait=True, cancel_futures=True)
        self.reader.close()
