"""PowerShell parameter binding against documented parameter sets.

The binder follows the engine's order: named arguments first (exact name or alias, else an unambiguous
prefix), then positional arguments by position, then, for each pipeline record, ByValue and ByPropertyName
binding (first without type coercion, then with it), and finally parameter-set resolution (the only
candidate, else the one whose mandatory parameters are all bound, else the default set) and the
mandatory-parameter check. A runspace opened over PSRP is non-interactive, so a missing mandatory parameter
is an error instead of a prompt.

Binding failures before the pipeline runs are terminating (`BindingError`); a pipeline record that cannot
be bound is a non-terminating error for that record only, as in PowerShell.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from psrpcore.types import ErrorCategory, PSCredential, PSObject

from hvgui.emulator.runtime import CmdletError

from . import errors
from .cim.instance import CimInstance
from .errors import Invocation
from .syntax import CommandSpec, ParameterSetSpec, ParameterSpec
from .types import (
    IntegrationComponentObject,
    PSSessionObject,
    ScriptBlockObject,
    VirtualMachineObject,
    VMSnapshotObject,
)


class ActionPreference(enum.Enum):
    """`System.Management.Automation.ActionPreference` of Windows PowerShell 5.1."""

    SilentlyContinue = 0
    Stop = 1
    Continue = 2
    Inquire = 3
    Ignore = 4
    Suspend = 5


class BindingError(Exception):
    """A terminating parameter-binding failure (a `ParameterBindingException` on a host)."""

    def __init__(self, error: CmdletError) -> None:
        super().__init__(error.message)
        self.error = error


#: .NET names of the documented parameter types, for the engine's conversion messages.
NET_TYPES = {
    "String": "System.String",
    "Guid": "System.Guid",
    "Int32": "System.Int32",
    "UInt16": "System.UInt16",
    "Int64": "System.Int64",
    "Byte": "System.Byte",
    "UInt32": "System.UInt32",
    "UInt64": "System.UInt64",
    "Boolean": "System.Boolean",
    "SwitchParameter": "System.Management.Automation.SwitchParameter",
    "PSObject": "System.Management.Automation.PSObject",
    "Object": "System.Object",
    "PSCredential": "System.Management.Automation.PSCredential",
    "PSSession": "System.Management.Automation.Runspaces.PSSession",
    "ScriptBlock": "System.Management.Automation.ScriptBlock",
    "CimSession": "Microsoft.Management.Infrastructure.CimSession",
    "CimInstance": "Microsoft.Management.Infrastructure.CimInstance",
    "CimClass": "Microsoft.Management.Infrastructure.CimClass",
    "IDictionary": "System.Collections.IDictionary",
    "Uri": "System.Uri",
    "ActionPreference": "System.Management.Automation.ActionPreference",
    "VirtualMachine": "Microsoft.HyperV.PowerShell.VirtualMachine",
    "VMIntegrationComponent": "Microsoft.HyperV.PowerShell.VMIntegrationComponent",
    "VMSnapshot": "Microsoft.HyperV.PowerShell.VMSnapshot",
    "VirtualMachineBase": "Microsoft.HyperV.PowerShell.VirtualMachineBase",
    # plausible WS2022 behaviour: WaitVMTypes is declared inside the RestartVM cmdlet class.
    "WaitVMTypes": "Microsoft.HyperV.PowerShell.Commands.RestartVM+WaitVMTypes",
    "CheckpointType": "Microsoft.HyperV.PowerShell.CheckpointType",
    "SnapshotType": "Microsoft.HyperV.PowerShell.SnapshotType",
    "CopyFileSourceType": "Microsoft.HyperV.PowerShell.CopyFileSourceType",
    "StartAction": "Microsoft.HyperV.PowerShell.StartAction",
    "StopAction": "Microsoft.HyperV.PowerShell.StopAction",
    "CriticalErrorAction": "Microsoft.HyperV.PowerShell.CriticalErrorAction",
    "OnOffState": "Microsoft.HyperV.PowerShell.OnOffState",
}
_INT_RANGES = {
    "Int32": (-(2**31), 2**31 - 1),
    "UInt16": (0, 2**16 - 1),
    "Int64": (-(2**63), 2**63 - 1),
    "UInt32": (0, 2**32 - 1),
    "UInt64": (0, 2**64 - 1),
}
#: Enum parameter types: (member, value) in declaration order. Members bind by name (case-insensitive) or by a
#: defined value; the binder hands the member name to the command (ActionPreference: the enum member).
_ENUMS: dict[str, tuple[tuple[str, int], ...]] = {
    "ActionPreference": tuple((m.name, m.value) for m in ActionPreference),
    "WaitVMTypes": (("Heartbeat", 0), ("IPAddress", 1)),
    "CheckpointType": (("Disabled", 2), ("Production", 3), ("ProductionOnly", 4), ("Standard", 5)),
    "SnapshotType": (
        ("Standard", 0),
        ("Recovery", 1),
        ("Planned", 2),
        ("Missing", 5),
        ("Replica", 6),
        ("AppConsistentReplica", 7),
        ("SyncedReplica", 8),
    ),
    "CopyFileSourceType": (("Host", 0),),
    "StartAction": (("Nothing", 2), ("StartIfRunning", 3), ("Start", 4)),
    "StopAction": (("TurnOff", 2), ("Save", 3), ("ShutDown", 4)),
    "CriticalErrorAction": (("None", 0), ("Pause", 1)),
    "OnOffState": (("On", 0), ("Off", 1)),
}
_LIVE_TYPES: dict[str, tuple[type, ...]] = {
    "VirtualMachine": (VirtualMachineObject,),
    "VMIntegrationComponent": (IntegrationComponentObject,),
    "VMSnapshot": (VMSnapshotObject,),
    "VirtualMachineBase": (VirtualMachineObject, VMSnapshotObject),
    "CimInstance": (CimInstance,),
    "IDictionary": (dict,),
    "PSSession": (PSSessionObject,),
    "ScriptBlock": (ScriptBlockObject,),
}
#: Parameters of the engine's common set carry no ValidateNotNullOrEmpty; the Hyper-V module's all do.
_NO_VALIDATION = {"ErrorVariable", "WarningVariable", "InformationVariable", "OutVariable", "PipelineVariable"}


def net_type_name(type_: str) -> str:
    base = type_.removesuffix("[]")
    name = NET_TYPES.get(base, base)
    return name + "[]" if type_.endswith("[]") else name


def value_type_name(value: Any) -> str:
    """The .NET type name PowerShell would print for a value."""
    if isinstance(value, PSObject) and not isinstance(value, (str, int, float, uuid.UUID, list)):
        return value.PSObject.type_names[0]
    if isinstance(value, bool):
        return "System.Boolean"
    if isinstance(value, int):
        return "System.Int32" if -(2**31) <= value < 2**31 else "System.Int64"
    if isinstance(value, float):
        return "System.Double"
    if isinstance(value, str):
        return "System.String"
    if isinstance(value, uuid.UUID):
        return "System.Guid"
    if isinstance(value, (list, tuple)):
        return "System.Object[]"
    return "System.Object"


def as_text(value: Any) -> str:
    """How PowerShell turns a value into a string (arrays joined with spaces, $true as True)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, (list, tuple)):
        return " ".join(as_text(v) for v in value)
    return str(value)


class _NoConversion(Exception):
    """The value cannot become the parameter's type; `args` hold the engine's error pieces."""

    def __init__(self, error_id: str, message: str) -> None:
        super().__init__(message)
        self.error_id = error_id
        self.message = message


def _is_exact(value: Any, type_: str) -> bool:
    """Whether the value already has the parameter's type (binding without coercion)."""
    is_array = type_.endswith("[]")
    base = type_.removesuffix("[]")
    if base in ("PSObject", "Object"):
        return True
    items = value if is_array and isinstance(value, list) else [value]
    return bool(items) and all(_is_exact_scalar(v, base) for v in items)


def _is_exact_scalar(value: Any, base: str) -> bool:
    if base in _LIVE_TYPES:
        return isinstance(value, _LIVE_TYPES[base])
    if base in _ENUMS:
        return isinstance(value, enum.Enum) and type(value).__name__ == base
    if base == "String":
        return isinstance(value, str)
    if base == "Guid":
        return isinstance(value, uuid.UUID)
    if base in ("SwitchParameter", "Boolean"):
        return isinstance(value, bool)
    if base in _INT_RANGES:
        return isinstance(value, int) and not isinstance(value, bool)
    if base == "PSCredential":
        return isinstance(value, PSCredential)
    return False


def convert(value: Any, spec: ParameterSpec) -> Any:
    """Convert an argument to the parameter's type like the engine's argument binder, or raise."""
    type_ = spec.type
    base = type_.removesuffix("[]")
    if type_ == "Byte[]" and isinstance(value, (bytes, bytearray)):
        return bytes(value)  # a CLIXML <BA> (byte array) arrives whole
    if type_.endswith("[]"):
        items = list(value) if isinstance(value, (list, tuple)) else [value]
        return [_convert_scalar(v, base, spec) for v in items]
    if isinstance(value, (list, tuple)) and base != "PSObject":
        if len(value) != 1:
            raise _NoConversion(
                "CannotConvertArgument",
                f"Cannot convert '{value_type_name(value)}' to the type '{net_type_name(type_)}' required by "
                f"parameter '{spec.name}'. Specified method is not supported.",
            )
        value = value[0]
    return _convert_scalar(value, base, spec)


def _convert_scalar(value: Any, base: str, spec: ParameterSpec) -> Any:
    name = spec.name
    if base in ("PSObject", "Object"):  # anything binds (Invoke-Command -ArgumentList <Object[]>)
        return value
    if base == "String":
        return as_text(value)
    if base in ("SwitchParameter", "Boolean"):
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)):
            return value != 0
        raise _NoConversion(
            "ParameterArgumentTransformationError",
            f"Cannot process argument transformation on parameter '{name}'. Cannot convert value "
            f'"{value_type_name(value)}" to type "{net_type_name(base)}". Boolean parameters accept only Boolean '
            "values and numbers, such as $True, $False, 1 or 0.",
        )
    if base == "Guid":
        if isinstance(value, uuid.UUID):
            return uuid.UUID(bytes=value.bytes)
        try:
            return uuid.UUID(as_text(value).strip())
        except ValueError:
            raise _cannot_convert_with_message(
                name, value, base, "Guid should contain 32 digits with 4 dashes (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)."
            ) from None
    if base in _INT_RANGES:
        low, high = _INT_RANGES[base]
        try:
            number = value if isinstance(value, int) and not isinstance(value, bool) else int(as_text(value).strip())
        except ValueError:
            raise _cannot_convert_with_message(name, value, base, "Input string was not in a correct format.") from None
        if not low <= number <= high:
            kind = "small" if number < low else "large"
            raise _cannot_convert_with_message(
                name, value, base, f"Value was either too large or too small for {kind}."
            )
        return number
    if base in _ENUMS:
        return _convert_enum(value, base, name)
    if _is_exact_scalar(value, base):
        return value
    raise _NoConversion(
        "CannotConvertArgument",
        f"Cannot bind parameter '{name}'. Cannot convert the \"{as_text(value)}\" value of type "
        f'"{value_type_name(value)}" to type "{net_type_name(base)}".',
    )


def _convert_enum(value: Any, base: str, name: str) -> Any:
    members = _ENUMS[base]
    text = as_text(value).strip()
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, (bool, enum.Enum)):
        number = value
    elif text.lstrip("-").isdigit():
        number = int(text)
    for member, member_value in members:
        if (number is not None and number == member_value) or (number is None and member.casefold() == text.casefold()):
            return ActionPreference[member] if base == "ActionPreference" else member
    if number is not None:
        # plausible WS2022 behaviour: LanguagePrimitives' message for a value the enum does not define.
        listing = ",".join(m for m, _ in members)
        inner = (
            f'Cannot convert value "{text}" to type "{net_type_name(base)}" due to enumeration values that are not '
            f"valid. Specify one of the following enumeration values and try again. The possible enumeration values "
            f'are "{listing}".'
        )
        raise _cannot_convert_with_message(name, value, base, inner)
    raise _cannot_convert_with_message(
        name,
        value,
        base,
        f"Unable to match the identifier name {text} to a valid enumerator name. Specify one of the following "
        f"enumerator names and try again:\r\n{', '.join(m for m, _ in members)}",
    )


def _cannot_convert_with_message(name: str, value: Any, base: str, inner: str) -> _NoConversion:
    # plausible WS2022 behaviour: Windows PowerShell 5.1 reports a named argument its converter rejects with a
    # reason (Guid, number, enum) as CannotConvertArgumentNoMessage, and one that has no conversion at all
    # (a string for a VirtualMachine) as CannotConvertArgument; Boolean/switch failures are transformation errors.
    return _NoConversion(
        "CannotConvertArgumentNoMessage",
        f"Cannot bind parameter '{name}'. Cannot convert value \"{as_text(value)}\" to type "
        f'"{net_type_name(base)}". Error: "{inner}"',
    )


@dataclass(frozen=True)
class _ValidationFailure:
    message: str
    error_id: str = "ParameterArgumentValidationError"


def _validate(value: Any, spec: ParameterSpec) -> _ValidationFailure | None:
    """The parameter's validation attribute (or a function's mandatory-argument check), or None when it passes."""
    if spec.is_switch or spec.name in _NO_VALIDATION or spec.validation == "none":
        return None
    if spec.validation == "mandatory":
        if value is None:
            return _ValidationFailure(
                f"Cannot bind argument to parameter '{spec.name}' because it is null.",
                "ParameterArgumentValidationErrorNullNotAllowed",
            )
        if value == "":
            return _ValidationFailure(
                f"Cannot bind argument to parameter '{spec.name}' because it is an empty string.",
                "ParameterArgumentValidationErrorEmptyStringNotAllowed",
            )
        return None
    if spec.validation == "not_null":
        if value is None:
            return _ValidationFailure(
                f"Cannot validate argument on parameter '{spec.name}'. The argument is null. Provide a valid value "
                "for the argument, and then try running the command again."
            )
        return None
    message = _validate_not_null_or_empty(value, spec)
    return _ValidationFailure(message) if message else None


def _validate_not_null_or_empty(value: Any, spec: ParameterSpec) -> str | None:
    """The Hyper-V module's [ValidateNotNullOrEmpty]; returns the engine's message when it fails."""
    prefix = f"Cannot validate argument on parameter '{spec.name}'. "
    if value is None or value == "" or (isinstance(value, list) and not value):
        return prefix + (
            "The argument is null or empty. Provide an argument that is not null or empty, and then try the "
            "command again."
        )
    if isinstance(value, list) and any(v is None or v == "" for v in value):
        return prefix + (
            "The argument is null, empty, or an element of the argument collection contains a null value. "
            "Supply a collection that does not contain any null values and then try the command again."
        )
    return None


@dataclass
class BoundCommand:
    """The outcome of binding: the parameter set and the converted value of every bound parameter."""

    spec: CommandSpec
    parameter_set: str
    values: dict[str, Any] = field(default_factory=dict)

    def __contains__(self, name: str) -> bool:
        return name in self.values

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)

    def switch(self, name: str) -> bool:
        return bool(self.values.get(name, False))

    @property
    def error_action(self) -> ActionPreference:
        return self.values.get("ErrorAction", ActionPreference.Continue)

    @property
    def warning_action(self) -> ActionPreference:
        return self.values.get("WarningAction", ActionPreference.Continue)


def _property_of(record: Any, name: str) -> tuple[bool, Any]:
    """A record's property by case-insensitive name, for ByPropertyName binding."""
    meta = getattr(record, "PSObject", None)
    if meta is None or isinstance(record, (str, int, uuid.UUID)):
        return False, None
    for prop in (*meta.extended_properties, *meta.adapted_properties):
        if prop.name.casefold() == name.casefold():
            return True, prop.get_value(record)
    return False, None


class Binder:
    """Binds one command's arguments; then binds each pipeline record, or none when there is no input."""

    def __init__(self, spec: CommandSpec, arguments: Iterable[tuple[str | None, Any]], *, expects_input: bool) -> None:
        self.spec = spec
        self.invocation = Invocation(spec.name, spec.fqid_suffix)
        self.bound: dict[str, Any] = {}
        self._sets = self._ordered_sets()
        positional: list[Any] = []
        for name, value in arguments:
            if name is None:
                positional.append(value)
            else:
                self._bind_named(name, value)
        self._candidates = self._sets_with(self.bound)
        if not self._candidates:
            self._fail(
                "Parameter set cannot be resolved using the specified named parameters.", "AmbiguousParameterSet"
            )
        for value in positional:
            self._bind_positional(value)
        self._pipeline_sets: list[ParameterSetSpec] = []
        if expects_input:
            self._prepare_for_pipeline()

    # ---------------------------------------------------------------- helpers

    def _fail(self, message: str, error_id: str, *, category: ErrorCategory | None = None) -> None:
        err = errors.binding(self.invocation, message, error_id)
        if category is not None:
            err.category = category
        raise BindingError(err)

    def _ordered_sets(self) -> list[ParameterSetSpec]:
        default = self.spec.default_set
        return [default, *(s for s in self.spec.sets if s is not default)]

    def _sets_with(self, names: Iterable[str]) -> list[ParameterSetSpec]:
        own = [n for n in names if n not in self.spec.common]
        return [s for s in self._sets if all(n in s.parameters for n in own)]

    def _resolve_name(self, given: str) -> ParameterSpec:
        params = self.spec.all_parameters
        key = given.casefold()
        for p in params.values():
            if p.name.casefold() == key or any(a.casefold() == key for a in p.aliases):
                return p
        matches = [
            p
            for p in params.values()
            if p.name.casefold().startswith(key) or any(a.casefold().startswith(key) for a in p.aliases)
        ]
        if len(matches) == 1 and key:
            return matches[0]
        if len(matches) > 1 and key:
            listing = " ".join(f"-{p.name}" for p in matches)
            self._fail(
                f"Parameter cannot be processed because the parameter name '{given}' is ambiguous. Possible matches "
                f"include: {listing}.",
                "AmbiguousParameter",
            )
        self._fail(f"A parameter cannot be found that matches parameter name '{given}'.", "NamedParameterNotFound")
        raise AssertionError  # unreachable: _fail raises

    def _convert_or_fail(self, value: Any, spec: ParameterSpec) -> Any:
        if value is None and spec.is_switch:
            return True
        try:
            converted = value if value is None else convert(value, spec)
        except _NoConversion as exc:
            self._fail(exc.message, exc.error_id)
        problem = _validate(converted, spec)
        if problem:
            self._fail(problem.message, problem.error_id, category=ErrorCategory.InvalidData)
        return converted

    # ---------------------------------------------------------------- named and positional

    def _bind_named(self, given: str, value: Any) -> None:
        spec = self._resolve_name(given)
        if spec.name in self.bound:
            self._fail(
                f"Cannot bind parameter because parameter '{spec.name}' is specified more than once. To provide "
                "multiple values to parameters that can accept multiple values, use the array syntax. For example, "
                '"-parameter value1,value2,value3".',
                "ParameterAlreadyBound",
            )
        self.bound[spec.name] = self._convert_or_fail(value, spec)

    def _bind_positional(self, value: Any) -> None:
        slots: dict[int, list[tuple[ParameterSetSpec, ParameterSpec]]] = {}
        for s in self._candidates:
            for p in s.parameters.values():
                if p.position is not None and p.name not in self.bound:
                    slots.setdefault(p.position, []).append((s, p))
        for position in sorted(slots):
            for coerce in (False, True):
                for _set, p in slots[position]:
                    if not coerce and not _is_exact(value, p.type):
                        continue
                    try:
                        converted = convert(value, p)
                    except _NoConversion:
                        continue
                    problem = _validate(converted, p)
                    if problem:
                        self._fail(problem.message, problem.error_id, category=ErrorCategory.InvalidData)
                    self.bound[p.name] = converted
                    self._candidates = [c for c in self._candidates if p.name in c.parameters]
                    return
            break  # only the lowest free position can take the next positional argument
        self._fail(
            f"A positional parameter cannot be found that accepts argument '{as_text(value)}'.",
            "PositionalParameterNotFound",
        )

    # ---------------------------------------------------------------- set resolution

    def _missing(self, s: ParameterSetSpec, bound: dict[str, Any]) -> list[str]:
        return [p.name for p in s.parameters.values() if p.mandatory and p.name not in bound]

    def _choose(self, candidates: list[ParameterSetSpec], bound: dict[str, Any]) -> ParameterSetSpec | None:
        if len(candidates) == 1:
            return candidates[0]
        satisfied = [s for s in candidates if not self._missing(s, bound)]
        if len(satisfied) == 1:
            return satisfied[0]
        default = self.spec.default_set
        if default in candidates and (default in satisfied or not satisfied):
            return default
        return None

    def bind_without_input(self) -> BoundCommand:
        chosen = self._choose(self._candidates, self.bound)
        if chosen is None:
            self._fail(
                "Parameter set cannot be resolved using the specified named parameters.", "AmbiguousParameterSet"
            )
        missing = self._missing(chosen, self.bound)
        if missing:
            self._fail(
                "Cannot process command because of one or more missing mandatory parameters: "
                + " ".join(missing)
                + ".",
                "MissingMandatoryParameter",
            )
        return BoundCommand(self.spec, chosen.name, dict(self.bound))

    # ---------------------------------------------------------------- pipeline

    def _prepare_for_pipeline(self) -> None:
        """Mandatory parameters no record can supply must be bound already (a host would prompt for them)."""

        def fillable(s: ParameterSetSpec) -> bool:
            return all(
                s.parameters[n].by_value or s.parameters[n].by_property_name for n in self._missing(s, self.bound)
            )

        self._pipeline_sets = [s for s in self._candidates if fillable(s)]
        if not self._pipeline_sets:
            preferred = self.spec.default_set if self.spec.default_set in self._candidates else self._candidates[0]
            missing = self._missing(preferred, self.bound)
            self._fail(
                "Cannot process command because of one or more missing mandatory parameters: "
                + " ".join(missing)
                + ".",
                "MissingMandatoryParameter",
            )

    def bind_record(self, record: Any) -> BoundCommand | CmdletError:
        """Bind one pipeline record on top of the command's arguments, or the error for that record."""
        bound = dict(self.bound)
        sets = list(self._pipeline_sets)
        pipeline_params = [
            (s, p)
            for s in sets
            for p in s.parameters.values()
            if p.name not in bound and (p.by_value or p.by_property_name)
        ]
        taken: set[str] = set()

        def still_valid(s: ParameterSetSpec) -> bool:
            # Each pipeline-bound parameter narrows the parameter sets the next one may come from, as the
            # engine does: a VirtualMachine bound to -VM keeps its Id property away from the -Id set.
            return all(n in s.parameters for n in taken)

        for coerce in (False, True):
            if not taken:
                for s, p in pipeline_params:
                    if p.by_value and still_valid(s) and self._try_bind(bound, p, record, coerce):
                        taken.add(p.name)
                        break
            for s, p in pipeline_params:
                if p.by_property_name and p.name not in bound and still_valid(s):
                    found, value = _property_of(record, p.name)
                    if not found:
                        found, value = next(
                            (_property_of(record, a) for a in p.aliases if _property_of(record, a)[0]), (False, None)
                        )
                    if found and self._try_bind(bound, p, value, coerce):
                        taken.add(p.name)
            if taken:
                break
        if not taken:
            return errors.binding(
                self.invocation,
                "The input object cannot be bound to any parameters for the command either because the command does "
                "not take pipeline input or the input and its properties do not match any of the parameters that "
                "take pipeline input.",
                "InputObjectNotBound",
                target=record,
            )
        candidates = [s for s in sets if all(n in s.parameters for n in taken)]
        chosen = self._choose(candidates, bound)
        if chosen is None:
            return errors.binding(
                self.invocation,
                "Parameter set cannot be resolved using the specified named parameters.",
                "AmbiguousParameterSet",
            )
        missing = self._missing(chosen, bound)
        if missing:
            # plausible WS2022 behaviour: the engine's InputObjectMissingMandatory wording, list space-separated.
            return errors.binding(
                self.invocation,
                "The input object cannot be bound because it did not contain the information required to bind all "
                "mandatory parameters: " + " ".join(missing),
                "InputObjectMissingMandatory",
                target=record,
            )
        return BoundCommand(self.spec, chosen.name, bound)

    @staticmethod
    def _try_bind(bound: dict[str, Any], p: ParameterSpec, value: Any, coerce: bool) -> bool:
        if value is None or (not coerce and not _is_exact(value, p.type)):
            return False
        try:
            converted = convert(value, p)
        except _NoConversion:
            return False
        if _validate(converted, p):
            return False
        bound[p.name] = converted
        return True
