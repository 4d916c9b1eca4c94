"""`hvgui --diagnose URI`: measure what a real host answers and what it costs, and write a redacted report.

The first admin who runs hvgui against a real Hyper-V host becomes the project's source of truth: the
report says how long each command hvgui uses took on that host and what its objects look like, and the
emulator loads it as a cost profile (`python -m hvgui.emulator --cost-profile REPORT.json`).

Two promises hold by construction:
- **Read-only.** Every pipeline goes through `check_read_only`, which refuses any command outside
  `READ_ONLY_COMMANDS` (an allow-list of `Get-*` commands). The only script sent is hvgui's own host module,
  loaded by `HostConnection` as on every connection.
- **No values.** Outputs are described by `diagnose_shapes.ShapeCatalog` (type names, property names, kinds,
  enum members), never by their values; names that could identify anything become salted hashes whose salt
  is never written. The report is written to a local file only; nothing is sent anywhere.

A command that fails is recorded with its error id, category and time, and the run goes on; only a
connection that cannot be made (or breaks) ends the run, with hvgui's usual message.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import re
import statistics
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from hvgui.domain.connection import ConnectionSettings
from hvgui.domain.errors import ConnectionFailed, HostCommandError, HvGuiError
from hvgui.remoting.connection import HostConnection, PipelineResult
from hvgui.remoting.diagnose_costs import CostInputs, Sample, fit_profile
from hvgui.remoting.diagnose_shapes import Redactor, ShapeCatalog, Variants, learn_names
from hvgui.remoting.module import host_module_text
from hvgui.remoting.pipeline import PipelineSpec

#: Every command a diagnose run may send. All read; none changes anything on the host.
READ_ONLY_COMMANDS = frozenset(
    {"Get-HvGuiInventory", "Get-VMHost", "Get-VM", "Get-VMIntegrationService", "Get-VMSnapshot", "Get-CimInstance"}
)
#: The CIM namespace and classes hvgui reads or will read (hyperv-api.md §5-7).
CIM_NAMESPACE = "root/virtualization/v2"
CIM_CLASSES = (
    "Msvm_ComputerSystem",
    "Msvm_SummaryInformation",
    "Msvm_VirtualSystemSettingData",
    "Msvm_KvpExchangeComponent",
    "Msvm_KvpExchangeComponentSettingData",
    "Msvm_HeartbeatComponent",
    "Msvm_HeartbeatComponentSettingData",
    "Msvm_ShutdownComponent",
    "Msvm_ShutdownComponentSettingData",
    "Msvm_TimeSyncComponent",
    "Msvm_TimeSyncComponentSettingData",
    "Msvm_VssComponent",
    "Msvm_VssComponentSettingData",
    "Msvm_GuestServiceInterfaceComponent",
    "Msvm_GuestServiceInterfaceComponentSettingData",
    "Msvm_ConcreteJob",
    "Msvm_VirtualSystemManagementService",
)
#: Classes whose instances carry VM or host names (ElementName, SystemName).
CIM_NAMING_CLASSES = frozenset({"Msvm_ComputerSystem", "Msvm_SummaryInformation", "Msvm_VirtualSystemSettingData"})
#: Checkpoints are listed for this many VMs at most (each is a round trip of its own).
SNAPSHOT_VMS = 3
REPETITIONS = 3
#: A command on a large host may take minutes; the report should say so rather than give up.
PROBE_TIMEOUT = 300.0

EXIT_OK, EXIT_CONNECTION, EXIT_USAGE = 0, 1, 2
_HASHED = re.compile(r"h:[0-9a-f]{16}")

PRIVACY_NOTE = (
    "Written by hvgui --diagnose on this computer; nothing was sent anywhere. It holds timings, object counts, "
    "type names, property names with the kinds of their values, and enum names with their numbers. It holds no "
    "value: no VM, host, user or guest name, no address, no key-value pair. Names that could identify "
    "something are replaced by salted hashes (h:...) whose salt was random and was not kept."
)


@dataclass(frozen=True)
class InventoryCalls:
    """The cmdlets `Get-HvGuiInventory` calls, and the CIM class of each of its `Get-CimInstance` queries."""

    cmdlets: frozenset[str]
    cim_classes: tuple[str, ...]


_COMMENT_BLOCK = re.compile(r"<#.*?#>", re.DOTALL)
_FUNCTION = re.compile(r"^function\s+([A-Za-z]+-[A-Za-z0-9]+)\s*\{", re.MULTILINE)
_COMMAND = re.compile(r"(?<![\w:-])([A-Z][a-z]+-[A-Za-z0-9]+)(?![\w:-])")
_CIM_CLASS = re.compile(r"Get-CimInstance\b[^\n]*?-ClassName\s+'?([A-Za-z0-9_]+)")


def inventory_calls(module_text: str, function: str = "Get-HvGuiInventory") -> InventoryCalls:
    """What a function of the host module calls, read from its text (comments left out).

    The emulator charges the inventory function for each cmdlet and CIM query it makes, so the profile
    charges the function only its time beyond them; which calls those are depends on the module's version.
    """
    text = _COMMENT_BLOCK.sub("", module_text)
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    starts = [(m.start(), m.group(1)) for m in _FUNCTION.finditer(text)]
    body = ""
    for index, (start, name) in enumerate(starts):
        if name == function:
            end = starts[index + 1][0] if index + 1 < len(starts) else len(text)
            body = text[start:end]
    body = body.split("{", 1)[-1] if body else ""
    cmdlets = frozenset(m.group(1) for m in _COMMAND.finditer(body))
    return InventoryCalls(cmdlets, tuple(m.group(1) for m in _CIM_CLASS.finditer(body)))


class NotReadOnly(ValueError):
    """A diagnose pipeline named a command outside the read-only allow-list (a programming error)."""


def check_read_only(spec: PipelineSpec) -> PipelineSpec:
    """The spec itself, when every command in it is on the read-only allow-list; NotReadOnly otherwise."""
    for command in spec.commands:
        if command.is_script or command.name not in READ_ONLY_COMMANDS:
            raise NotReadOnly(f"{command.name if not command.is_script else 'a script'} is not a read-only command")
    return spec


@dataclass(frozen=True)
class Probe:
    """One measured command: its pipeline, and how the report names it (templates, never values)."""

    key: str
    spec: PipelineSpec
    display: str
    #: Its objects name VMs, checkpoints or the host: those names are learnt, so they never become keys.
    names: bool = False

    def __post_init__(self) -> None:
        check_read_only(self.spec)


def _vm(vm_id: uuid.UUID) -> PipelineSpec:
    return PipelineSpec.cmdlet("Get-VM").param("Id", vm_id)


def _cim(class_name: str) -> Probe:
    spec = PipelineSpec.cmdlet("Get-CimInstance").param("Namespace", CIM_NAMESPACE).param("ClassName", class_name)
    display = f"Get-CimInstance -Namespace {CIM_NAMESPACE} -ClassName {class_name}"
    return Probe(f"cim:{class_name}", spec, display, names=class_name in CIM_NAMING_CLASSES)


def first_probes() -> list[Probe]:
    """What runs before the VM ids are known."""
    return [
        Probe("Get-VMHost", PipelineSpec.cmdlet("Get-VMHost"), "Get-VMHost", names=True),
        Probe("Get-HvGuiInventory", PipelineSpec.cmdlet("Get-HvGuiInventory"), "Get-HvGuiInventory"),
        Probe("Get-VM", PipelineSpec.cmdlet("Get-VM"), "Get-VM", names=True),
        Probe(
            "Get-VMIntegrationService",
            PipelineSpec.cmdlet("Get-VM").pipe("Get-VMIntegrationService"),
            "Get-VM | Get-VMIntegrationService",
        ),
    ]


def per_vm_probes(vm_ids: Sequence[uuid.UUID]) -> list[Probe]:
    """What runs for one VM (the first) and for a few VMs (checkpoints), addressed by id."""
    if not vm_ids:
        return []
    probes = [
        Probe("Get-VM -Id", _vm(vm_ids[0]), "Get-VM -Id <vm 1>", names=True),
        Probe(
            "Get-VMIntegrationService -VM",
            _vm(vm_ids[0]).pipe("Get-VMIntegrationService"),
            "Get-VM -Id <vm 1> | Get-VMIntegrationService",
        ),
    ]
    for index, vm_id in enumerate(vm_ids[:SNAPSHOT_VMS], start=1):
        probes.append(
            Probe(
                f"Get-VMSnapshot {index}",
                _vm(vm_id).pipe("Get-VMSnapshot"),
                f"Get-VM -Id <vm {index}> | Get-VMSnapshot",
                names=True,
            )
        )
    return probes


def cim_probes() -> list[Probe]:
    return [_cim(name) for name in CIM_CLASSES]


@dataclass
class Measurement:
    """What one probe gave: run times, the objects of its first successful run, and its errors."""

    probe: Probe
    wall_s: list[float] = field(default_factory=list)
    host_s: list[float] = field(default_factory=list)
    objects: int | None = None
    output_shape: Variants = field(default_factory=Variants)
    errors: list[dict[str, str]] = field(default_factory=list)  # non-terminating, by id
    failure: dict[str, Any] | None = None  # terminating error or time-out, by id

    @property
    def ok(self) -> bool:
        return self.failure is None and bool(self.wall_s)

    def sample(self) -> Sample | None:
        if not self.ok or self.objects is None:
            return None
        return Sample(statistics.median(self.host_s), self.objects)

    def to_json(self, redactor: Redactor) -> dict[str, Any]:
        entry: dict[str, Any] = {"probe": self.probe.key, "command": self.probe.display, "ok": self.ok}
        if self.wall_s:
            entry.update(
                objects=self.objects,
                runs_s=[round(t, 6) for t in self.wall_s],
                median_s=round(statistics.median(self.wall_s), 6),
                host_median_s=round(statistics.median(self.host_s), 6),
                output=self.output_shape.to_json(redactor),
            )
        if self.errors:
            entry["errors"] = [_safe_error(e, redactor) for e in self.errors]
        if self.failure is not None:
            entry["failure"] = {**_safe_error(self.failure, redactor), "after_s": self.failure["after_s"]}
        return entry


class DiagnoseConnectionError(Exception):
    """The host could not be reached, refused the session or hvgui's module, or the connection broke."""

    def __init__(self, error: HvGuiError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass
class Diagnosis:
    """A finished run: the report document and what the summary shows."""

    report: dict[str, Any]
    measurements: list[Measurement]


class Diagnoser:
    """Runs the probes over one connection and builds the report."""

    def __init__(self, connection: HostConnection, *, repetitions: int = REPETITIONS, client_version: str = "") -> None:
        self.connection = connection
        self.client_version = client_version
        self.repetitions = max(1, repetitions)
        self.redactor = Redactor()
        self.catalog = ShapeCatalog(self.redactor)
        self.inventory_shape = Variants()
        self.first_call_s: float | None = None

    async def run(self) -> Diagnosis:
        measurements: dict[str, Measurement] = {}
        vm_ids: list[uuid.UUID] = []
        for probe in first_probes():
            measurement, outputs = await self._measure(probe)
            measurements[probe.key] = measurement
            if probe.key == "Get-VM":
                vm_ids = [i for i in (_uuid(_prop(o, "Id")) for o in outputs) if i is not None]
        for probe in [*per_vm_probes(vm_ids), *cim_probes()]:
            measurements[probe.key], _ = await self._measure(probe)
        return Diagnosis(self._report(measurements, len(vm_ids)), list(measurements.values()))

    async def _measure(self, probe: Probe) -> tuple[Measurement, tuple[Any, ...]]:
        measurement = Measurement(probe)
        outputs: tuple[Any, ...] = ()
        first_call = self.first_call_s is None
        # The very first call opens the session and loads the module: it is timed apart and repeated.
        for _ in range(self.repetitions + (1 if first_call else 0)):
            cpu_before, started = time.process_time(), time.perf_counter()
            try:
                result = await self.connection.run(check_read_only(probe.spec), timeout=PROBE_TIMEOUT)
            except HostCommandError as error:
                if self.connection.module_loads == 0:  # the session has no module: nothing else can run
                    raise DiagnoseConnectionError(error) from error
                measurement.failure = _error_entry(error, time.perf_counter() - started)
                break
            except ConnectionFailed as error:
                raise DiagnoseConnectionError(error) from error
            except HvGuiError as error:  # timed out, or an answer hvgui cannot read
                if self.first_call_s is None:  # nothing has worked yet: the host is not usable, stop here
                    raise DiagnoseConnectionError(error) from error
                measurement.failure = _error_entry(error, time.perf_counter() - started)
                break
            wall = time.perf_counter() - started
            if self.first_call_s is None:
                self.first_call_s = wall
                continue
            measurement.wall_s.append(wall)
            measurement.host_s.append(max(0.0, wall - (time.process_time() - cpu_before)))
            if measurement.objects is None:
                outputs = result.output
                self._describe(measurement, result)
        return measurement, outputs

    def _describe(self, measurement: Measurement, result: PipelineResult) -> None:
        if measurement.probe.names:
            learn_names(self.redactor, result.output)
        measurement.errors = [_error_entry(e) for e in result.errors]
        if measurement.probe.key == "Get-HvGuiInventory":
            text = next((o for o in result.output if isinstance(o, str)), "")
            vms = _inventory_vms(text, self.redactor)
            measurement.objects = vms
            self.inventory_shape = self.catalog.json_text(text)
            measurement.output_shape = self.catalog.outputs(result.output)
            return
        measurement.objects = len(result.output)
        measurement.output_shape = self.catalog.outputs(result.output)

    def _report(self, measurements: dict[str, Measurement], vm_count: int) -> dict[str, Any]:
        def sample(key: str) -> Sample | None:
            found = measurements.get(key)
            return found.sample() if found is not None else None

        cim = tuple(s for p in cim_probes() if (s := sample(p.key)) is not None)
        calls = inventory_calls(host_module_text())
        instances = {p.probe.key: p.objects for p in measurements.values() if p.ok}
        inputs = CostInputs(
            vm_count=vm_count,
            get_vm_all=sample("Get-VM"),
            get_vm_one=sample("Get-VM -Id"),
            integration_all=sample("Get-VMIntegrationService"),
            integration_one=sample("Get-VMIntegrationService -VM"),
            snapshots=tuple(s for i in range(1, SNAPSHOT_VMS + 1) if (s := sample(f"Get-VMSnapshot {i}")) is not None),
            vm_host=sample("Get-VMHost"),
            inventory=sample("Get-HvGuiInventory"),
            inventory_cmdlets=calls.cmdlets,
            inventory_cim_instances=tuple(instances.get(f"cim:{c}") or 0 for c in calls.cim_classes),
            cim=cim,
        )
        profile, notes = fit_profile(inputs)
        vm_host = measurements.get("Get-VMHost")
        repeated_host = statistics.median(vm_host.wall_s) if vm_host is not None and vm_host.wall_s else None
        session: dict[str, Any] = {"first_call_s": _round(self.first_call_s)}
        if self.first_call_s is not None and repeated_host is not None:
            session["session_open_s"] = round(max(0.0, self.first_call_s - repeated_host), 6)
        integration = measurements.get("Get-VMIntegrationService")
        return {
            "format": "hvgui-diagnose",
            "version": 1,
            "hvgui_version": self.client_version,
            "created_utc": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "privacy": PRIVACY_NOTE,
            "connection": {
                "scheme": "https" if self.connection.settings.use_https else "http",
                "auth": self.connection.settings.auth.value,
            },
            "repetitions": self.repetitions,
            "session": session,
            "counts": {
                "vms": vm_count,
                "integration_services": integration.objects if integration is not None else None,
                "vms_with_checkpoints_listed": min(vm_count, SNAPSHOT_VMS),
            },
            "commands": [m.to_json(self.redactor) for m in measurements.values()],
            "inventory_shape": self.inventory_shape.to_json(self.redactor),
            **self.catalog.to_json(),
            "cost_profile": profile,
            "cost_profile_notes": notes,
        }


async def diagnose(
    settings: ConnectionSettings, password: str, *, repetitions: int = REPETITIONS, client_version: str = ""
) -> Diagnosis:
    """Connect, run every probe, close. Raises DiagnoseConnectionError when the host cannot be used."""
    connection = HostConnection(settings, password)
    try:
        return await Diagnoser(connection, repetitions=repetitions, client_version=client_version).run()
    finally:
        await connection.close()


def default_report_path(now: datetime.datetime | None = None) -> Path:
    """`hvgui-diagnose-YYYYMMDD-HHMMSS.json` in the current directory (UTC)."""
    stamp = (now or datetime.datetime.now(datetime.UTC)).strftime("%Y%m%d-%H%M%S")
    return Path.cwd() / f"hvgui-diagnose-{stamp}.json"


def write_report(report: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def summary(diagnosis: Diagnosis) -> list[str]:
    """The lines the admin sees: one per command, with its median time, objects or error id."""
    lines = []
    for m in diagnosis.measurements:
        if m.ok:
            detail = f"{statistics.median(m.wall_s):8.3f} s  {m.objects} object(s)"
        elif m.failure is not None:
            detail = f"  failed  {m.failure.get('error_id') or m.failure.get('kind')}"
        else:
            detail = "  not run"
        label = m.probe.display.replace(f"-Namespace {CIM_NAMESPACE} -ClassName ", "")
        lines.append(f"  {label:<60} {detail}")
    session = diagnosis.report.get("session", {})
    if session.get("first_call_s") is not None:
        lines.insert(0, f"  first call, with opening the session: {session['first_call_s']:.3f} s")
    return lines


def run_cli(
    settings: ConnectionSettings,
    password: str,
    output: Path | None,
    *,
    repetitions: int = REPETITIONS,
    client_version: str = "",
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """The `--diagnose` command: run, write the report, show what it holds. Returns the exit status."""
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    endpoint = f"{settings.host}:{settings.port}"
    print(f"hvgui: diagnosing {endpoint} (read-only; {repetitions} run(s) per command)\u2026", file=out, flush=True)
    try:
        diagnosis = asyncio.run(diagnose(settings, password, repetitions=repetitions, client_version=client_version))
    except DiagnoseConnectionError as exc:
        print(f"hvgui: cannot diagnose {endpoint}: {exc.error}", file=err)
        return EXIT_CONNECTION
    path = output if output is not None else default_report_path()
    try:
        write_report(diagnosis.report, path)
    except OSError as exc:
        print(f"hvgui: could not write the report to {path}: {exc}", file=err)
        return EXIT_CONNECTION
    for line in summary(diagnosis):
        print(line, file=out)
    report = diagnosis.report
    hashed = len(set(_HASHED.findall(json.dumps(report))))
    print(
        f"\nReport: {path}\n  {len(report['commands'])} commands timed, {len(report['types'])} object types and "
        f"{len(report['enums'])} enum types described, {hashed} name(s) replaced by hashes.",
        file=out,
    )
    print(PRIVACY_NOTE, file=out)
    print("Read the file before you share it; it is plain JSON.", file=out)
    return EXIT_OK


def _prop(obj: Any, name: str) -> Any:
    for attribute in ("adapted_properties", "extended_properties"):
        found = getattr(obj, attribute, None)
        if isinstance(found, dict) and name in found:
            return found[name]
    return None


def _uuid(value: Any) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _inventory_vms(text: str, redactor: Redactor) -> int | None:
    """The number of VMs in the inventory string; teaches the redactor the names in it."""
    try:
        document = json.loads(text)
    except ValueError:
        return None
    if not isinstance(document, dict) or not isinstance(document.get("vms"), list):
        return None
    redactor.learn([document.get("host")])
    redactor.learn(row.get(k) for row in document["vms"] if isinstance(row, dict) for k in ("name", "id"))
    return len(document["vms"])


def _error_entry(error: HvGuiError, after_s: float | None = None) -> dict[str, Any]:
    """An error by what identifies its kind (ids are not localized and hold no data); never its message."""
    entry: dict[str, Any] = {"kind": type(error).__name__}
    if isinstance(error, HostCommandError):
        entry["error_id"] = error.fully_qualified_error_id
        entry["category"] = error.category
    if after_s is not None:
        entry["after_s"] = round(after_s, 6)
    return entry


def _safe_error(entry: dict[str, Any], redactor: Redactor) -> dict[str, str]:
    """Ids and categories are names: kept when they look like ids and name nothing the host reported."""
    safe = {"kind": entry["kind"]}
    for key in ("error_id", "category"):
        if entry.get(key):
            parts = str(entry[key]).split(",")
            safe[key] = ",".join(p if _is_id(p) and not redactor.is_sensitive(p) else redactor.hash(p) for p in parts)
    return safe


def _is_id(text: str) -> bool:
    return bool(text) and len(text) <= 200 and all(c.isascii() and (c.isalnum() or c in "._") for c in text)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)
