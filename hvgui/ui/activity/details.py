"""The words the Activity panel uses for an operation record: one-line cells and the full details text.

Messages, warnings and errors come from the host, so they are untrusted text even for display: one-line cells
show control characters as visible symbols (`hvgui.ui.text.one_line`), and the multi-line details keep their
line breaks but nothing else invisible. Everything is shown as plain text, never as markup.
"""

from __future__ import annotations

import time

from hvgui.domain.errors import HostCommandError
from hvgui.domain.operations import FileState, OperationRecord, OperationState
from hvgui.ui.text import one_line

#: What "still running on the host" means, for the State cell's tooltip and the details.
STILL_RUNNING_NOTE = (
    "hvgui stopped waiting for the host's answer, but Hyper-V finishes the job anyway. hvgui keeps watching "
    "the VM and marks the operation done once the VM shows the change."
)
#: Why Cancel is greyed out once the host's job runs.
NOT_CANCELLABLE_NOTE = (
    "The host's job is already under way: stopping hvgui's wait would not stop it, Hyper-V would finish it "
    "anyway. Cancel is offered only while cancelling really stops the operation."
)


def multi_line(text: str) -> str:
    """Host text for a plain-text pane: its line breaks kept, every other control character made visible."""
    return "\n".join(one_line(line) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))


def format_duration(seconds: float | None) -> str:
    """`0.4 s`, `12 s`, `3 min 05 s`, `1 h 02 min`; empty when unknown."""
    if seconds is None:
        return ""
    if seconds < 10:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def elapsed(record: OperationRecord, now: float) -> float | None:
    """How long the operation has run: to its end once final, else to `now`; None before it starts."""
    if record.started_at is None:
        return None
    end = record.ended_at if record.ended_at is not None else now
    return max(0.0, end - record.started_at)


def progress_text(record: OperationRecord) -> str:
    """`42% · Shutting down the virtual machine`, as the host last said it (one line)."""
    if record.state.is_final:
        return ""
    if record.state is OperationState.Queued:
        return "Waiting for a free slot on the host"
    parts = []
    if record.progress.percent is not None:
        parts.append(f"{record.progress.percent}%")
    if record.progress.text:
        parts.append(one_line(record.progress.text))
    if not parts:
        parts.append("Working\u2026" if record.state is OperationState.Running else "Still running on the host")
    return " \u00b7 ".join(parts)


def result_text(record: OperationRecord) -> str:
    """The outcome in one line: the message, the error, or what is going on."""
    if record.state is OperationState.StillRunning and not record.message:
        return "Still running on the host; hvgui watches the VM until it settles."
    if record.error is not None and not record.message:
        return one_line(record.error.message)
    text = one_line(record.message)
    if record.warnings:
        count = len(record.warnings)
        text += f" ({count} warning{'s' if count != 1 else ''})"
    return text


def error_lines(record: OperationRecord) -> list[str]:
    """The full error: message, hint and what the host said about it (error id, category, target)."""
    error = record.error
    if error is None:
        return []
    lines = [f"Error: {multi_line(error.message)}"]
    if error.hint:
        lines.append(f"What to do: {multi_line(error.hint)}")
    if isinstance(error, HostCommandError):
        if error.fully_qualified_error_id:
            lines.append(f"Host error id: {one_line(error.fully_qualified_error_id)}")
        if error.category:
            lines.append(f"Category: {one_line(error.category)}")
        if error.target:
            lines.append(f"Target: {one_line(error.target)}")
    return lines


def files_summary(record: OperationRecord) -> str:
    """`3 copied, 1 interrupted (kept on the host for Retry), 2 waiting` for a copy; empty otherwise."""
    counts: dict[FileState, int] = {}
    for file in record.progress.files:
        counts[file.state] = counts.get(file.state, 0) + 1
    parts = []
    for state in FileState:
        if state in counts:
            kept = " (kept on the host for Retry)" if state is FileState.Interrupted else ""
            parts.append(f"{counts[state]} {state.value}{kept}")
    return ", ".join(parts)


def _clock(at: float | None) -> str:
    return "" if at is None else time.strftime("%H:%M:%S", time.localtime(at))


def record_details(record: OperationRecord, host_label: str, now: float) -> str:
    """Everything the panel knows about one operation, as plain text (the details pane and "Copy details")."""
    lines = [
        one_line(record.operation.title),
        f"Host: {one_line(host_label)}",
        f"State: {record.state.label}",
    ]
    if record.state is OperationState.StillRunning:
        lines.append(STILL_RUNNING_NOTE)
    times = [f"queued {_clock(record.queued_at)}"] if record.queued_at else []
    if record.started_at is not None:
        times.append(f"started {_clock(record.started_at)}")
    if record.ended_at is not None:
        times.append(f"ended {_clock(record.ended_at)}")
    duration = format_duration(elapsed(record, now))
    if duration:
        times.append(f"took {duration}" if record.state.is_final else f"running for {duration}")
    if times:
        lines.append("Time: " + ", ".join(times))
    progress = progress_text(record)
    if progress:
        lines.append(f"Progress: {progress}")
    files = files_summary(record)
    if files:
        lines.append(f"Files: {files}")
    if record.message:
        lines.append(f"Result: {multi_line(record.message)}")
    lines.extend(f"Warning: {multi_line(w)}" for w in record.warnings)
    lines.extend(error_lines(record))
    lines.append(f"PowerShell: {record.operation.powershell()}")
    return "\n".join(lines)
