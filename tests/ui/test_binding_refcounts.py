"""The Qt binding must count references to None and True correctly.

PySide6 6.12.0 on CPython 3.11 drops a reference to `True` on every `Signal.emit()` and to `None` on every
`QModelIndex.data()` that answers None; an open window then aborts the interpreter within the hour
("Fatal Python error: bool_dealloc"). pyproject.toml keeps that release out; this test fails if a binding
with the defect is ever installed again.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QModelIndex, QObject, Signal

CALLS = 200


class _Emitter(QObject):
    fired = Signal()


def test_signal_emit_keeps_the_reference_count_of_true(qapp) -> None:
    emitter = _Emitter()
    before = sys.getrefcount(True)
    for _ in range(CALLS):
        emitter.fired.emit()
    assert before - sys.getrefcount(True) < CALLS // 2


def test_model_index_data_keeps_the_reference_count_of_none(qapp) -> None:
    before = sys.getrefcount(None)
    for _ in range(CALLS):
        QModelIndex().data()
    assert before - sys.getrefcount(None) < CALLS // 2
