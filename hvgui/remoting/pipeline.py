"""`PipelineSpec`: the only way hvgui builds a PowerShell pipeline.

A spec is an immutable list of commands, each a name plus ordered parameters. It reaches the host through
pypsrp's `add_cmdlet` / `add_parameter` / `add_argument`, so a value (a VM name with quotes, `$()`,
backticks or newlines) travels as serialized data and can never become script text. The one script hvgui
sends is the bundled module text, and only `PipelineSpec.host_module_loader()` can produce it.

Specs are plain data: they can be built on any thread, compared in tests and logged.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from pypsrp.complex_objects import PSCredential
from pypsrp.powershell import PowerShell

from hvgui.remoting.guest_credentials import GuestCredential
from hvgui.remoting.module import host_module_text

#: `Verb-Noun`: cmdlets and the module's functions. Anything else (paths, script text) is refused.
_COMMAND_NAME = re.compile(r"^[A-Za-z]+-[A-Za-z0-9]+$")
_PARAMETER_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")

#: Values pypsrp serializes faithfully as PowerShell primitives (and lists/tuples of them); `bytes` travels
#: as a CLIXML byte array (<BA>), which binds to a `[byte[]]` parameter; a `GuestCredential` travels as a
#: PSCredential whose password is a SecureString (encrypted with the pool's session key, see `carries_secret`).
_SCALARS = (str, bool, int, float, uuid.UUID, bytes, GuestCredential)
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1


@dataclass(frozen=True)
class Parameter:
    """One element of a command: a named parameter, a switch, or a positional argument (`name` None)."""

    name: str | None
    value: Any = None
    is_switch: bool = False

    def __str__(self) -> str:
        if self.name is None:
            return _describe_value(self.value)
        if self.is_switch:
            return f"-{self.name}"
        return f"-{self.name} {_describe_value(self.value)}"


@dataclass(frozen=True)
class Command:
    """One command of a pipeline."""

    name: str
    parameters: tuple[Parameter, ...] = ()
    is_script: bool = False  # only ever the bundled module text

    def __str__(self) -> str:
        if self.is_script:
            return "<hvgui host module>"
        return " ".join([self.name, *(str(p) for p in self.parameters)])


@dataclass(frozen=True)
class PipelineSpec:
    """An immutable pipeline: `PipelineSpec.cmdlet("Get-VM").param("Name", name)`.

    Every builder method returns a new spec, so a spec can be kept and reused safely.
    """

    commands: tuple[Command, ...] = field(default=())

    @classmethod
    def cmdlet(cls, name: str) -> PipelineSpec:
        """A pipeline that starts with the cmdlet or module function `name`."""
        return cls().pipe(name)

    @classmethod
    def host_module_loader(cls) -> PipelineSpec:
        """The pipeline that loads hvgui's host module into a runspace pool (constant text)."""
        return cls((Command(host_module_text(), is_script=True),))

    def pipe(self, name: str) -> PipelineSpec:
        """Append a command that receives this pipeline's output."""
        if not _COMMAND_NAME.match(name):
            raise ValueError(f"not a cmdlet name: {name!r}")
        return PipelineSpec((*self.commands, Command(name)))

    def param(self, name: str, value: Any) -> PipelineSpec:
        """`-Name value` on the last command. A bool value gives `-Switch:$true/$false`."""
        _check_parameter_name(name)
        return self._with(Parameter(name, _freeze(value)))

    def switch(self, name: str) -> PipelineSpec:
        """`-Name` (a switch that is present) on the last command."""
        _check_parameter_name(name)
        return self._with(Parameter(name, None, is_switch=True))

    def arg(self, value: Any) -> PipelineSpec:
        """A positional argument on the last command."""
        return self._with(Parameter(None, _freeze(value)))

    def apply(self, ps: PowerShell) -> PowerShell:
        """Add this pipeline to a pypsrp `PowerShell` (which must have no commands yet)."""
        if not self.commands:
            raise ValueError("empty pipeline")
        for command in self.commands:
            if command.is_script:
                if command.name != host_module_text():
                    raise ValueError("the only script hvgui sends is its host module")
                ps.add_script(command.name, use_local_scope=False)
                continue
            ps.add_cmdlet(command.name)
            for parameter in command.parameters:
                if parameter.name is None:
                    ps.add_argument(_thaw(parameter.value))
                elif parameter.is_switch:
                    ps.add_parameter(parameter.name)
                else:
                    ps.add_parameter(parameter.name, _thaw(parameter.value))
        return ps

    @property
    def carries_secret(self) -> bool:
        """Whether a value is a credential: its SecureString needs the pool's session key (exchanged first)."""
        return any(isinstance(p.value, GuestCredential) for c in self.commands for p in c.parameters)

    @property
    def first_command(self) -> str:
        """The first command's name, for messages ("Get-VM did not finish in time")."""
        if not self.commands:
            return ""
        return str(self.commands[0]) if self.commands[0].is_script else self.commands[0].name

    def __str__(self) -> str:
        return " | ".join(str(c) for c in self.commands)

    def _with(self, parameter: Parameter) -> PipelineSpec:
        if not self.commands:
            raise ValueError("add a command before its parameters")
        if self.commands[-1].is_script:
            raise ValueError("the host module loader takes no parameters")
        last = self.commands[-1]
        updated = Command(last.name, (*last.parameters, parameter))
        return PipelineSpec((*self.commands[:-1], updated))


def _check_parameter_name(name: str) -> None:
    if not _PARAMETER_NAME.match(name):
        raise ValueError(f"not a parameter name: {name!r}")


def _freeze(value: Any) -> Any:
    """Check a value is plain data and make containers immutable (a spec is hashable and shareable)."""
    if isinstance(value, int) and not isinstance(value, bool) and not _INT32_MIN <= value <= _INT32_MAX:
        raise ValueError(f"{value} does not fit the Int32 pypsrp sends integers as")
    if value is None or isinstance(value, _SCALARS):
        return value
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    raise TypeError(f"unsupported parameter value type {type(value).__name__}")


def _thaw(value: Any) -> Any:
    """pypsrp serializes lists (not tuples) as PowerShell arrays."""
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    if isinstance(value, GuestCredential):
        return PSCredential(username=value.user, password=value.password)  # pypsrp sends it as a SecureString
    return value


def _describe_value(value: Any) -> str:
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"  # file data: never spelled out in logs or displays
    if isinstance(value, GuestCredential):
        return f"<credential of {value.user!r}>"  # the password is never spelled out
    if isinstance(value, tuple):
        return ",".join(_describe_value(v) for v in value)
    return repr(value)
