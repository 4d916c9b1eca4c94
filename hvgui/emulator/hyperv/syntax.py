"""The parameter sets of every command the emulator implements, from Microsoft's cmdlet documentation.

`cmdlet_syntax.json` is a verbatim subset of the shared extraction; this module turns it into
`CommandSpec`s the binder works with and adds PowerShell's common parameters. Functions of hvgui's host
module get a spec of their own, built from the parameters their advanced function declares.

The documentation does not carry the validation attributes; the decompiled cmdlets do. Most Hyper-V
parameters are `[ValidateNotNullOrEmpty]`; the exceptions are listed in `_VALIDATION_OVERRIDES`.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources

ALL_PARAMETER_SETS = "__AllParameterSets"


@dataclass(frozen=True)
class ParameterSpec:
    name: str
    type: str  # as the docs spell it: "String[]", "Guid", "SwitchParameter", "VirtualMachine[]", ...
    mandatory: bool = False
    position: int | None = None
    aliases: tuple[str, ...] = ()
    by_value: bool = False
    by_property_name: bool = False
    accepted_values: tuple[str, ...] = ()
    #: "not_null_or_empty" ([ValidateNotNullOrEmpty]), "not_null" ([ValidateNotNull]), "none", or
    #: "mandatory" (a function's mandatory parameter: the engine refuses $null and an empty string).
    validation: str = "not_null_or_empty"

    @property
    def is_switch(self) -> bool:
        return self.type == "SwitchParameter"


@dataclass(frozen=True)
class ParameterSetSpec:
    name: str
    is_default: bool
    parameters: dict[str, ParameterSpec]  # canonical name -> spec in this set


@dataclass(frozen=True)
class CommandSpec:
    name: str  # "Get-VM"
    fqid_suffix: str  # "Microsoft.HyperV.PowerShell.Commands.GetVM", or the function name
    sets: tuple[ParameterSetSpec, ...]
    common: dict[str, ParameterSpec]  # common parameters, valid in every set

    @functools.cached_property
    def all_parameters(self) -> dict[str, ParameterSpec]:
        """Every parameter of the command by canonical name (set-specific flags from the first set)."""
        out: dict[str, ParameterSpec] = {}
        for s in self.sets:
            for name, spec in s.parameters.items():
                out.setdefault(name, spec)
        out.update(self.common)
        return out

    @property
    def default_set(self) -> ParameterSetSpec:
        return next((s for s in self.sets if s.is_default), self.sets[0])


def _common(*entries: tuple[str, str, tuple[str, ...]]) -> dict[str, ParameterSpec]:
    return {name: ParameterSpec(name, type_, aliases=aliases) for name, type_, aliases in entries}


#: `about_CommonParameters` of Windows PowerShell 5.1.
COMMON_PARAMETERS = _common(
    ("Verbose", "SwitchParameter", ("vb",)),
    ("Debug", "SwitchParameter", ("db",)),
    ("ErrorAction", "ActionPreference", ("ea",)),
    ("WarningAction", "ActionPreference", ("wa",)),
    ("InformationAction", "ActionPreference", ("infa",)),
    ("ErrorVariable", "String", ("ev",)),
    ("WarningVariable", "String", ("wv",)),
    ("InformationVariable", "String", ("iv",)),
    ("OutVariable", "String", ("ov",)),
    ("OutBuffer", "Int32", ("ob",)),
    ("PipelineVariable", "String", ("pv",)),
)

#: Where a page's SYNTAX and PARAMETERS sections disagree (see the json's `warnings`), the decompiled cmdlet
#: decides: RestartVM declares `[Parameter(ParameterSetName = "NameWait", Mandatory = true)] Wait`.
_MANDATORY_OVERRIDES = {("Restart-VM", "NameWait", "Wait"), ("Restart-VM", "VMObjectWait", "Wait")}

#: Parameters whose decompiled declaration is not `[ValidateNotNullOrEmpty]` (SetVM.cs): `-Notes ""` clears
#: the notes, so it must bind.
_VALIDATION_OVERRIDES = {
    **{
        ("Set-VM", name): "none"
        for name in ("GuestControlledCacheTypes", "LowMemoryMappedIoSpace", "HighMemoryMappedIoSpace", "CheckpointType")
    },
    **{
        ("Set-VM", name): "not_null"
        for name in (
            "ProcessorCount",
            "MemoryMinimumBytes",
            "MemoryMaximumBytes",
            "MemoryStartupBytes",
            "AutomaticStartDelay",
            "AutomaticCriticalErrorActionTimeout",
            "AutomaticCheckpointsEnabled",
            "LockOnDisconnect",
            "Notes",
        )
    },
    # InvokeCommandCommand declares -ArgumentList without validation: a script block's argument may be empty.
    ("Invoke-Command", "ArgumentList"): "none",
}


#: Positions where a page's PARAMETERS contradict its SYNTAX block ('warnings' of the syntax file). Restore-
#: VMSnapshot's VM set lists -VM and -Name both at Position 0; its syntax block orders `[-VM] <VirtualMachine>
#: [-Name] <String>`, so -Name is taken as the second positional parameter. plausible WS2022 behaviour.
_POSITION_OVERRIDES: dict[tuple[str, str, str], int] = {("Restore-VMSnapshot", "VM", "Name"): 1}


def _pipeline_flags(text: str) -> tuple[bool, bool]:
    return "ByValue" in text, "ByPropertyName" in text


def _parameter(command: str, set_name: str, raw: dict) -> ParameterSpec:
    by_value, by_name = _pipeline_flags(raw.get("pipeline_input", ""))
    mandatory = raw["mandatory"] or (command, set_name, raw["name"]) in _MANDATORY_OVERRIDES
    return ParameterSpec(
        name=raw["name"],
        type=raw["type"],
        mandatory=mandatory,
        position=_POSITION_OVERRIDES.get((command, set_name, raw["name"]), raw["position"]),
        aliases=tuple(raw.get("aliases", ())),
        by_value=by_value,
        by_property_name=by_name,
        accepted_values=tuple(raw.get("accepted_values", ())),
        validation=_VALIDATION_OVERRIDES.get((command, raw["name"]), "not_null_or_empty"),
    )


def _class_name(command: str) -> str:
    if "-Cim" in command:  # CimCmdlets: Microsoft.Management.Infrastructure.CimCmdlets.GetCimInstanceCommand
        return "Microsoft.Management.Infrastructure.CimCmdlets." + command.replace("-", "") + "Command"
    if command in _ENGINE_COMMANDS:  # Microsoft.PowerShell.Commands.NewPSSessionCommand
        return "Microsoft.PowerShell.Commands." + command.replace("-", "") + "Command"
    return "Microsoft.HyperV.PowerShell.Commands." + command.replace("-", "")


#: The engine's cmdlets PowerShell Direct uses (Microsoft.PowerShell.Core and .Management).
_ENGINE_COMMANDS = frozenset({"New-PSSession", "Remove-PSSession", "Copy-Item", "Invoke-Command"})


@functools.cache
def documented_commands() -> dict[str, CommandSpec]:
    """Every documented cmdlet of the vendored syntax file, by lower-case name."""
    raw = json.loads(resources.files(__package__).joinpath("cmdlet_syntax.json").read_text(encoding="utf-8"))
    specs: dict[str, CommandSpec] = {}
    for command, data in raw.items():
        if command.startswith("_"):
            continue
        sets = tuple(
            ParameterSetSpec(
                name=s["name"],
                is_default=s["default"],
                parameters={p["name"]: _parameter(command, s["name"], p) for p in s["parameters"]},
            )
            for s in data["parameter_sets"]
        )
        specs[command.casefold()] = CommandSpec(command, _class_name(command), sets, COMMON_PARAMETERS)
    return specs


def function_spec(
    name: str, parameters: tuple[tuple[str, ...], ...] = (), optional: tuple[tuple[str, str], ...] = ()
) -> CommandSpec:
    """An advanced function (`[CmdletBinding()] param(...)`): mandatory `parameters`, then `optional` ones.

    Each (name, type[, validation]) of `parameters` becomes a mandatory parameter in the one parameter set;
    without explicit positions PowerShell makes them positional in declaration order (`PositionalBinding`
    defaults to true). Validation defaults to "mandatory" (the engine refuses $null and an empty string);
    "not_null" stands for `[AllowEmptyCollection()]` / `[AllowEmptyString()]`. Each (name, type) of
    `optional` (switches, in practice) is named only and may be left out.
    """
    specs = {
        p[0]: ParameterSpec(p[0], p[1], mandatory=True, position=index, validation=p[2] if len(p) > 2 else "mandatory")
        for index, p in enumerate(parameters)
    }
    for p_name, p_type in optional:
        specs[p_name] = ParameterSpec(p_name, p_type, validation="none")
    return CommandSpec(name, name, (ParameterSetSpec(ALL_PARAMETER_SETS, True, specs),), COMMON_PARAMETERS)
