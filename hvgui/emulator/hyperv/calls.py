"""How the emulator's `HvGui` function bodies call cmdlets: through the same binder and implementations a
client's pipeline goes through, so a function pays what its cmdlets cost and raises what they raise.

Every call is recorded for whoever listens (`recording()`): the list of cmdlet calls a function made, in order,
with the parameters it named. A test compares that trace with the calls the function's PowerShell text makes.

A common parameter the function itself was called with (`-ErrorAction Stop`) reaches the cmdlets it calls the
way PowerShell's preference variables do, unless the call names its own.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from hvgui.emulator.runtime import CmdletError, TerminatingError

from .binding import Binder, BindingError
from .context import CommandContext
from .syntax import documented_commands


@dataclass(frozen=True)
class Call:
    """One cmdlet call of a function body: the cmdlet, the parameters it named in order, its class."""

    cmdlet: str
    parameters: tuple[str, ...]
    class_name: str | None = None  # -ClassName, when given


_recorders: list[list[Call]] = []
_recorders_lock = threading.Lock()


@contextmanager
def recording() -> Iterator[list[Call]]:
    """Collect every call function bodies make while the block runs (from any thread)."""
    calls: list[Call] = []
    with _recorders_lock:
        _recorders.append(calls)
    try:
        yield calls
    finally:
        with _recorders_lock:  # by identity: two recordings that saw the same calls are equal lists
            del _recorders[next(i for i, r in enumerate(_recorders) if r is calls)]


def _record(call: Call) -> None:
    with _recorders_lock:
        for calls in _recorders:
            calls.append(call)


def invoke(
    ctx: CommandContext, cmdlet: str, arguments: list[tuple[str, Any]], pipeline_input: list[Any] | None = None
) -> list[Any]:
    """Run one documented cmdlet from a function body and return what it wrote to its output.

    Its errors go to the function's error stream; a terminating one (`-ErrorAction Stop`) ends the function.
    """
    from .cmdlets import CMDLETS  # the cmdlets import this module's users; bind late

    key = cmdlet.casefold()
    spec, implementation = documented_commands()[key], CMDLETS[key]
    class_name = next((v for n, v in arguments if n == "ClassName"), None)
    _record(Call(spec.name, tuple(n for n, _ in arguments), class_name))
    try:
        binder = Binder(spec, arguments, expects_input=pipeline_input is not None)
    except BindingError as failure:
        raise TerminatingError(failure.error) from None
    inherited = {n: ctx.bound.get(n) for n in ("ErrorAction", "WarningAction") if n in ctx.bound}
    output: list[Any] = []
    if pipeline_input is None:
        try:
            bound = binder.bind_without_input()
        except BindingError as failure:
            raise TerminatingError(failure.error) from None
        _apply(bound.values, inherited)
        implementation(CommandContext(ctx.model, bound, ctx.sink, output.append, ctx.events))
        return output
    for record in pipeline_input:
        result = binder.bind_record(record)
        if isinstance(result, CmdletError):
            ctx.write_error(result)
            continue
        _apply(result.values, inherited)
        implementation(CommandContext(ctx.model, result, ctx.sink, output.append, ctx.events))
    return output


def _apply(values: dict[str, Any], inherited: dict[str, Any]) -> None:
    for name, value in inherited.items():
        values.setdefault(name, value)
