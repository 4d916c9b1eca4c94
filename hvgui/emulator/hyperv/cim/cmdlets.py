"""`Get-CimInstance`, `Get-CimAssociatedInstance` and `Invoke-CimMethod` against `root/virtualization/v2`.

Each call reads the provider once under the host's lock, then pays one bulk CIM operation
(`costs.charge_cim`, per instance returned) outside it, then writes. `-Property` keeps the key and the named
properties and leaves the others `$null`; `-KeyOnly` keeps the key only; `-Filter` is WQL (`wql`);
`-OperationTimeoutSec` fails the call with the WS-Management time-out when the host would need longer.
"""

from __future__ import annotations

import contextvars
import re
import time
from typing import Any

from psrpcore.types import PSNoteProperty, PSObject, PSType, PSUInt

from .. import kvp
from ..context import CommandContext, PromptNotPossible
from ..errors import non_interactive
from . import provider, schema
from .errors import INVALID_CLASS, INVALID_METHOD, INVALID_NAMESPACE, INVALID_QUERY, NOT_SUPPORTED, TIMED_OUT, cim_error
from .instance import CimInstance
from .schema import NAMESPACE, CimClass
from .wql import InvalidQuery, compile_filter

#: Windows PowerShell's default namespace for the CIM cmdlets.
DEFAULT_NAMESPACE = "root/cimv2"
_QUERY = re.compile(r"^\s*SELECT\s+(?P<props>.+?)\s+FROM\s+(?P<cls>\w+)(?:\s+WHERE\s+(?P<where>.+))?\s*$", re.I | re.S)


class _Failed(Exception):
    def __init__(self, kind: tuple) -> None:
        super().__init__(kind[0])
        self.kind = kind


def _namespace_ok(namespace: str | None) -> bool:
    text = (namespace or DEFAULT_NAMESPACE).replace("\\", "/").strip("/").casefold()
    return text == NAMESPACE


def _class(namespace: str | None, name: str) -> CimClass:
    if not _namespace_ok(namespace):
        raise _Failed(INVALID_NAMESPACE if (namespace or "").strip() else INVALID_CLASS)
    found = schema.find_class(name)
    if found is None:
        raise _Failed(INVALID_CLASS)
    return found


def _projection(cim_class: CimClass, names: list[str] | None, key_only: bool) -> set[str] | None:
    """The properties to keep (key always), or None for all."""
    if key_only:
        return {cim_class.key}
    if not names or any(n.strip() == "*" for n in names):
        return None
    kept = {cim_class.key}
    for name in names:
        canonical = cim_class.canonical(name.strip())
        if canonical is None:
            raise _Failed(INVALID_QUERY)
        kept.add(canonical)
    return kept


def _instances(ctx: CommandContext, cim_class: CimClass, where: str | None, kept: set[str] | None) -> list[CimInstance]:
    try:
        predicate = compile_filter(where, cim_class) if where is not None else None
    except InvalidQuery:
        raise _Failed(INVALID_QUERY) from None
    with ctx.model.lock:
        rows = [r for r in provider.rows(ctx.model, cim_class, ctx.now()) if predicate is None or predicate(r)]
    if kept is not None:
        rows = [{k: v for k, v in r.items() if k in kept} for r in rows]
    return [CimInstance(cim_class, r) for r in rows]


def _pay(ctx: CommandContext, instances: int) -> bool:
    """Charge one CIM operation; False when the pipeline was stopped. A time-out fails the call."""
    costs = ctx.model.costs
    timeout = ctx.bound.get("OperationTimeoutSec") or 0
    projected = bool(ctx.bound.get("Property"))
    needed = costs.profile.cim_seconds(instances, projected=projected)
    if timeout and needed > timeout:
        if not costs.sleep(timeout, ctx.stop_requested):
            return False
        raise _Failed(TIMED_OUT)
    started = _call_started.get()
    worked = 0.0 if started is None else time.perf_counter() - started
    return costs.charge_cim(ctx.stop_requested, instances=instances, projected=projected, worked=worked)


#: When the running CIM call started (real seconds): its own work counts toward its charge.
_call_started: contextvars.ContextVar[float | None] = contextvars.ContextVar("cim_call_started", default=None)


def _run(ctx: CommandContext, body) -> None:
    _call_started.set(time.perf_counter())
    try:
        body()
    except _Failed as failure:
        ctx.write_error(cim_error(ctx.invocation, failure.kind))
    except PromptNotPossible:  # -Confirm in a remote runspace
        ctx.write_error(non_interactive(ctx.invocation))


def _write(ctx: CommandContext, instances: list[Any]) -> None:
    if not _pay(ctx, len(instances)):
        return
    for instance in instances:
        if ctx.stop_requested.is_set():
            return
        ctx.write_output(instance)


def get_cim_instance(ctx: CommandContext) -> None:
    bound = ctx.bound

    def body() -> None:
        if bound.parameter_set.startswith("CimInstance"):
            _write(ctx, _refresh(ctx, bound.get("InputObject")))
            return
        if bound.parameter_set.startswith("Query"):
            match = _QUERY.match(bound.get("Query") or "")
            if match is None:
                raise _Failed(INVALID_QUERY)
            cim_class = _class(bound.get("Namespace"), match["cls"])
            names = [p.strip() for p in match["props"].split(",")]
            _write(ctx, _instances(ctx, cim_class, match["where"], _projection(cim_class, names, False)))
            return
        cim_class = _class(bound.get("Namespace"), bound.get("ClassName"))
        kept = _projection(cim_class, bound.get("Property"), bound.switch("KeyOnly"))
        _write(ctx, _instances(ctx, cim_class, bound.get("Filter"), kept))

    _run(ctx, body)


def _refresh(ctx: CommandContext, instance: CimInstance) -> list[CimInstance]:
    """`Get-CimInstance -InputObject`: the instance as it is now (nothing when it is gone)."""
    cim_class = instance.cim_class
    key = instance.get(cim_class.key)
    with ctx.model.lock:
        rows = [r for r in provider.rows(ctx.model, cim_class, ctx.now()) if r.get(cim_class.key) == key]
    return [CimInstance(cim_class, r) for r in rows]


# ---------------------------------------------------------------- associations

#: (kind of the source, kind of the result) -> association class (hyperv-api.md §6, hyperv-cim-winrm.md §1-2).
_ASSOCIATIONS: dict[tuple[str, str], str] = {
    ("system", "device"): "Msvm_SystemDevice",
    ("device", "system"): "Msvm_SystemDevice",
    ("system", "vssd"): "Msvm_SettingsDefineState",
    ("vssd", "system"): "Msvm_SettingsDefineState",
    ("system", "summary"): "Msvm_ComputerSystemSummaryInformation",
    ("summary", "system"): "Msvm_ComputerSystemSummaryInformation",
    ("vssd", "setting"): "Msvm_VirtualSystemSettingDataComponent",
    ("setting", "vssd"): "Msvm_VirtualSystemSettingDataComponent",
    ("device", "setting"): "Msvm_ElementSettingData",
    ("setting", "device"): "Msvm_ElementSettingData",
}


def _kind(cim_class: CimClass) -> str:
    name = cim_class.name
    if name == schema.COMPUTER_SYSTEM.name:
        return "system"
    if name == schema.SUMMARY_INFORMATION.name:
        return "summary"
    if name == schema.VIRTUAL_SYSTEM_SETTING_DATA.name:
        return "vssd"
    if name.endswith("ComponentSettingData"):
        return "setting"
    if name.endswith("Component"):
        return "device"
    return "other"


def _owner(instance: CimInstance) -> tuple[str | None, str | None]:
    """(configuration id: the VM's or a checkpoint's, integration-component GUID) of an instance."""
    kind = _kind(instance.cim_class)
    if kind in ("system", "summary"):
        return (instance.get("Name") or "").upper() or None, None
    if kind == "vssd":
        return ((instance.get("InstanceID") or "").removeprefix("Microsoft:").upper() or None), None
    text = instance.get("DeviceID") if kind == "device" else instance.get("InstanceID")
    owner, _, guid = (text or "").removeprefix("Microsoft:").partition("\\")
    return owner.upper() or None, guid.upper() or None


def get_cim_associated_instance(ctx: CommandContext) -> None:
    bound = ctx.bound

    def body() -> None:
        source: CimInstance = bound.get("InputObject")
        if bound.get("Namespace") is not None and not _namespace_ok(bound.get("Namespace")):
            raise _Failed(INVALID_NAMESPACE)
        association = (bound.get("Association") or "").casefold()
        wanted = (bound.get("ResultClassName") or "").casefold()
        source_kind = _kind(source.cim_class)
        owner, guid = _owner(source)
        found: list[CimInstance] = []
        for cim_class in schema.CLASSES.values():
            pair = (source_kind, _kind(cim_class))
            name = _ASSOCIATIONS.get(pair)
            if name is None or (association and name.casefold() != association):
                continue
            if wanted and wanted not in (c.casefold() for c in cim_class.chain):
                continue
            for candidate in _instances(ctx, cim_class, None, {cim_class.key} if bound.switch("KeyOnly") else None):
                other_owner, other_guid = _owner(candidate)
                if other_owner != owner or (guid and other_guid and guid != other_guid):
                    continue
                if pair == ("system", "vssd") and candidate.get("VirtualSystemType") != provider.REALIZED:
                    continue
                found.append(candidate)
        _write(ctx, found)

    _run(ctx, body)


# ---------------------------------------------------------------- methods

#: GetSummaryInformation's RequestedInformation codes (hyperv-cim-winrm.md §1.1, FCM/SLP numbering above 115).
REQUESTED_INFORMATION = {
    0: "Name", 1: "ElementName", 2: "CreationTime", 3: "Notes", 4: "NumberOfProcessors", 10: "Version",
    11: "Shielded", 100: "EnabledState", 101: "ProcessorLoad", 103: "MemoryUsage", 104: "Heartbeat",
    105: "UpTime", 106: "GuestOperatingSystem", 109: "HealthState", 110: "OperationalStatus",
    111: "StatusDescriptions", 112: "MemoryAvailable", 113: "AvailableMemoryBuffer", 114: "ReplicationMode",
    120: "ApplicationHealth", 121: "SwapFilesInUse", 123: "IntegrationServicesVersionState",
    132: "MemorySpansPhysicalNumaNodes", 134: "EnhancedSessionModeState", 135: "VirtualSystemSubType",
    136: "HostComputerSystemName",
}  # fmt: skip


@PSType(["System.Management.Automation.PSCustomObject", "System.Object"], rehydrate=False)
class _MethodResult(PSObject):
    pass


class CimMethodResult:
    """What Invoke-CimMethod writes: `ReturnValue`, the out parameters, `PSComputerName`."""

    def __init__(self, return_value: int, outputs: dict[str, Any]) -> None:
        self.return_value = return_value
        self.outputs = outputs

    def get(self, name: str) -> Any:
        if name.casefold() == "returnvalue":
            return self.return_value
        return next((v for k, v in self.outputs.items() if k.casefold() == name.casefold()), None)

    def to_psobject(self) -> PSObject:
        obj = _MethodResult()
        obj.PSObject.extended_properties.append(PSNoteProperty("ReturnValue", PSUInt(self.return_value)))
        for name, value in self.outputs.items():
            if isinstance(value, list):
                value = [v.to_psobject() if isinstance(v, CimInstance) else v for v in value]
            elif isinstance(value, CimInstance):
                value = value.to_psobject()
            obj.PSObject.extended_properties.append(PSNoteProperty(name, value))
        obj.PSObject.extended_properties.append(PSNoteProperty("PSComputerName", None))
        return obj


def _argument(arguments: dict | None, name: str) -> Any:
    for key, value in (arguments or {}).items():
        if str(key).casefold() == name.casefold():
            return value
    return None


def _summary_information(ctx: CommandContext, arguments: dict | None) -> CimMethodResult:
    codes = _argument(arguments, "RequestedInformation") or []
    codes = codes if isinstance(codes, list) else [codes]
    wanted = {"Name"} | {REQUESTED_INFORMATION[int(c)] for c in codes if int(c) in REQUESTED_INFORMATION}
    settings = _argument(arguments, "SettingData")
    with ctx.model.lock:
        by_name = {r["Name"]: r for r in provider.rows(ctx.model, schema.SUMMARY_INFORMATION, ctx.now())}
    if settings is None:
        rows = list(by_name.values())  # no SettingData: every VM (hyperv-cim-winrm.md §1)
    else:
        items = settings if isinstance(settings, list) else [settings]
        rows = []
        for item in items:
            vm_id = (item.get("VirtualSystemIdentifier") or "").upper() if isinstance(item, CimInstance) else ""
            realized = isinstance(item, CimInstance) and item.get("VirtualSystemType") == provider.REALIZED
            rows.append(by_name.get(vm_id, {"Name": ""}) if realized else {"Name": ""})
    summaries = [CimInstance(schema.SUMMARY_INFORMATION, {k: v for k, v in r.items() if k in wanted}) for r in rows]
    return CimMethodResult(0, {"SummaryInformation": summaries})


def _kvp_method(ctx: CommandContext, method: str, arguments: dict | None) -> CimMethodResult:
    """AddKvpItems / ModifyKvpItems / RemoveKvpItems (`kvp`): 4096 and a reference to the job, or 32773."""
    target = _argument(arguments, "TargetSystem")
    items = _argument(arguments, "DataItems")
    items = [] if items is None else items if isinstance(items, list) else [items]
    with ctx.model.lock:
        vm = None
        if isinstance(target, CimInstance) and target.class_name == schema.COMPUTER_SYSTEM.name:
            name = str(target.get("Name") or "").upper()
            vm = next((v for v in ctx.model.vms if provider.vm_key(v) == name), None)
        code, job = kvp.start(ctx.model, vm, method, items, ctx.now())
    outputs = {"Job": CimInstance(schema.CONCRETE_JOB, {"InstanceID": job.instance_id})} if job is not None else {}
    return CimMethodResult(code, outputs)


def invoke_cim_method(ctx: CommandContext) -> None:
    bound = ctx.bound

    def body() -> None:
        method = (bound.get("MethodName") or "").strip()
        target = bound.get("InputObject")
        if not isinstance(target, CimInstance):
            # GetSummaryInformation is an instance method: called on a class (or by a query) it is no method
            # of it. An unknown class or namespace is reported as such first.
            _class(bound.get("Namespace"), bound.get("ClassName") or "")
            raise _Failed(INVALID_METHOD)
        if target.class_name != schema.MANAGEMENT_SERVICE.name:
            raise _Failed(INVALID_METHOD)
        if method.casefold() in kvp.METHODS:
            if not ctx.should_process():
                return
            result = _kvp_method(ctx, method.casefold(), bound.get("Arguments"))
            if _pay(ctx, 1):
                ctx.write_output(result)
            return
        if method.casefold() != "getsummaryinformation":
            # plausible WS2022 behaviour: the emulator's provider implements the summary and the KVP methods.
            raise _Failed(NOT_SUPPORTED if method else INVALID_METHOD)
        if not ctx.should_process():
            return
        result = _summary_information(ctx, bound.get("Arguments"))
        if _pay(ctx, len(result.outputs["SummaryInformation"])):
            ctx.write_output(result)

    _run(ctx, body)
