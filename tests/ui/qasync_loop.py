"""A fresh qasync event loop per test, for tests whose code awaits (controllers, the session manager).

pytest-qt drives Qt but not asyncio; qasync's own test suite (tests/test_qeventloop.py) gives each test its
own `QEventLoop(application)` and fails the test on errors nobody handled. This module does the same and is
shared by `tests/ui` and `tests/e2e` (each conftest wraps it in a fixture).

In the app, `run_forever` spans the whole life of the window, so asyncio always sees its loop running. A
test also drives Qt between `run_until_complete` calls (clicks, `show()`, pytest-qt waits), and qasync's
timers fire then too: their callbacks would step tasks with no running loop ("no running event loop").
`_AppLikeLoop` keeps the loop registered as running for the whole test, as in the app.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import Callable, Iterator
from typing import Any

import qasync
from PySide6.QtWidgets import QApplication

#: How long `wait_until` waits before failing: generous, because it only guards against a hang.
DEFAULT_WAIT = 60.0


class _AppLikeLoop(qasync.QEventLoop):
    """A qasync loop that stays the running loop between `run_until_complete` calls (see the module doc)."""

    def run_forever(self) -> None:
        try:
            super().run_forever()
        finally:
            asyncio.events._set_running_loop(self)


@contextlib.contextmanager
def qasync_event_loop(app: QApplication) -> Iterator[qasync.QEventLoop]:
    """Install a new qasync loop as the current loop; on exit cancel what is left and fail on unhandled errors."""
    loop = _AppLikeLoop(app)
    asyncio.set_event_loop(loop)
    asyncio.events._set_running_loop(loop)
    errors: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    try:
        yield loop
    finally:
        try:
            pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        finally:
            asyncio.events._set_running_loop(None)
            loop.close()
            _kill_pending_timers(loop)
            asyncio.set_event_loop(None)
            del loop
            # A closed loop's QObjects (its timer still holds pending timers) sit in reference cycles. Collect
            # them here, on the Qt thread: the collector may otherwise run on a worker thread, and a QObject
            # destroyed there cannot unregister its timers, which then fire on freed memory.
            gc.collect()
    if errors:
        details = "; ".join(f"{c.get('message')}: {c.get('exception')!r}" for c in errors)
        raise AssertionError(f"errors nobody handled in the event loop: {details}")


def _kill_pending_timers(loop: qasync.QEventLoop) -> None:
    """Unregister the Qt timers of the closed loop's callbacks that have not fired (a cancelled 5 s refresh wait,
    say), here on the Qt thread. Something the test leaves alive (a window, its sessions' events) may keep the
    loop past the collection below; if its timer object is then destroyed on a worker thread, a timer still
    registered fires into freed memory in a later test."""
    timer = loop._timer
    callbacks = timer._SimpleTimer__callbacks
    for timer_id in list(callbacks):
        timer.killTimer(timer_id)
    callbacks.clear()


async def wait_until(predicate: Callable[[], Any], timeout: float = DEFAULT_WAIT, what: str = "") -> Any:
    """Let the loop run until `predicate()` is truthy (returns its value); fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what or predicate}")
        await asyncio.sleep(0.02)
