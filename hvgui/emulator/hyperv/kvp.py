"""Key-value pair exchange on the emulated host: the data-item XML, the host's writing methods and their jobs.

`Msvm_VirtualSystemManagementService.AddKvpItems` / `ModifyKvpItems` / `RemoveKvpItems` (hyperv-api.md §6.3)
take `TargetSystem` (the VM's `Msvm_ComputerSystem`) and `DataItems[]`, embedded `Msvm_KvpExchangeDataItem`
instances. They check their parameters at once (return 32773, Invalid parameter: more than 128 items, an item
that is not such an instance, a `Source` other than 0 or 4, a key or value longer than the wire allows) and
otherwise start a job (return 4096) whose `Msvm_ConcreteJob` the caller polls. The change happens when the job
ends: `AddKvpItems` fails when a key exists, `ModifyKvpItems` and `RemoveKvpItems` when one is missing; a
failing job changes nothing (`JobState` 10 Exception, `ErrorCode` 32768 Failed). A scenario can make every
KVP job of a VM fail (`"kvp": {"fail_jobs": true}`).

Host-to-guest items (Source 0) live in the VM's configuration, so writing them works whatever the VM's state
(plausible WS2022 behaviour); the guest sees them (`KvpPools.external`, its pool 0) only while its KVP service
answers: a VM that is off, a disabled component or a Linux guest without `hv_kvp_daemon` receive nothing until
that changes. Host-only items (Source 4) never reach the guest.

Completed jobs stay listed for five minutes, as Hyper-V keeps finished jobs (`TimeBeforeRemoval`).
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .host import HostModel
    from .vm import EmulatedVm

DATA_ITEM_CLASS = "Msvm_KvpExchangeDataItem"
MAX_ITEMS_PER_CALL = 128
#: hyperv-api.md §6.3: keys of at most 255 and values of at most 1,023 UTF-16 units (512 / 2,048 bytes with the
#: terminator); host-only values up to 16 KB.
MAX_KEY_UNITS = 255
MAX_VALUE_UNITS = 1023
MAX_HOST_ONLY_VALUE_UNITS = 8191

SOURCE_HOST_TO_GUEST = 0
SOURCE_GUEST_TO_HOST = 1
SOURCE_INTRINSIC = 2
SOURCE_HOST_ONLY = 4

RETURN_COMPLETED = 0
RETURN_JOB_STARTED = 4096
RETURN_FAILED = 32768
RETURN_INVALID_PARAMETER = 32773

JOB_RUNNING = 4
JOB_COMPLETED = 7
JOB_EXCEPTION = 10
#: Host seconds a finished job stays listed.
JOB_RETENTION = 300.0

METHODS = ("addkvpitems", "modifykvpitems", "removekvpitems")
#: plausible WS2022 behaviour: the job's ElementName and the text of a failed job.
_JOB_NAMES = {
    "addkvpitems": "Add Kvp Items",
    "modifykvpitems": "Modify Kvp Items",
    "removekvpitems": "Remove Kvp Items",
}


def escape(text: str) -> str:
    """XML text of a value: the five entities, and carriage returns as `&#13;` so no parser folds them."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&apos;")
        .replace("\r", "&#13;")
    )


def item_xml(name: str, data: str, source: int) -> str:
    """One `Msvm_KvpExchangeDataItem` as embedded-instance XML (the shape of hyperv-api.md §6.3)."""
    return (
        f'<INSTANCE CLASSNAME="{DATA_ITEM_CLASS}">'
        f'<PROPERTY NAME="Data" TYPE="string"><VALUE>{escape(data)}</VALUE></PROPERTY>'
        f'<PROPERTY NAME="Name" TYPE="string"><VALUE>{escape(name)}</VALUE></PROPERTY>'
        f'<PROPERTY NAME="Source" TYPE="uint16"><VALUE>{source}</VALUE></PROPERTY>'
        "</INSTANCE>"
    )


def parse_item(text: Any) -> tuple[str, str, int | None] | None:
    """(Name, Data, Source) of an embedded data item, whitespace kept; None when it is not one. A property
    without `<VALUE>` is empty (Source None)."""
    if not isinstance(text, str):
        return None
    try:
        document = ElementTree.fromstring(text)
    except ElementTree.ParseError:
        return None
    if document.tag != "INSTANCE" or (document.get("CLASSNAME") or "").casefold() != DATA_ITEM_CLASS.casefold():
        return None
    values: dict[str, str | None] = {}
    for prop in document.findall("PROPERTY"):
        value = prop.find("VALUE")
        values[(prop.get("NAME") or "").casefold()] = None if value is None else (value.text or "")
    source_text = (values.get("source") or "").strip()
    source = int(source_text) if source_text.isdigit() else None
    return values.get("name") or "", values.get("data") or "", source


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass(eq=False)
class KvpJob:
    """One `Msvm_ConcreteJob` of a KVP method: the change it makes when it ends."""

    instance_id: str
    method: str  # lower case, one of METHODS
    vm_id: uuid.UUID
    items: list[tuple[str, str, int]]
    started_at: float
    completes_at: float
    settled: bool = False
    error_code: int = 0
    error_description: str = ""
    ended_at: float | None = None

    def state(self, now: float) -> int:
        if not self.settled:
            return JOB_RUNNING
        return JOB_COMPLETED if self.error_code == 0 else JOB_EXCEPTION

    def row(self, now: float) -> dict[str, Any]:
        span = self.completes_at - self.started_at
        percent = 100 if self.settled else (max(0, min(99, int(100 * (now - self.started_at) / span))) if span else 0)
        return {
            "InstanceID": self.instance_id,
            "Caption": _JOB_NAMES[self.method],
            "Description": _JOB_NAMES[self.method],
            "ElementName": _JOB_NAMES[self.method],
            "Name": _JOB_NAMES[self.method],
            "JobState": self.state(now),
            "PercentComplete": percent,
            "ErrorCode": self.error_code,
            "ErrorDescription": self.error_description,
            "ErrorSummaryDescription": self.error_description,
            "JobType": 0,
        }


def _jobs(model: HostModel) -> dict[str, KvpJob]:
    """The host's KVP jobs by InstanceID."""
    return model.cim_jobs


def invalid_items(method: str, items: list[Any]) -> str | None:
    """Why DataItems are refused at once (32773), or None."""
    if not items or len(items) > MAX_ITEMS_PER_CALL:
        return f"DataItems holds {len(items)} items; 1 to {MAX_ITEMS_PER_CALL} are allowed"
    for text in items:
        parsed = parse_item(text)
        if parsed is None:
            return "a data item is not an embedded Msvm_KvpExchangeDataItem"
        name, data, source = parsed
        if source not in (SOURCE_HOST_TO_GUEST, SOURCE_HOST_ONLY):
            return "a data item's Source is neither 0 nor 4"
        if not name or "\0" in name or "\0" in data:
            return "a data item has an empty key or a NUL character"
        limit = MAX_HOST_ONLY_VALUE_UNITS if source == SOURCE_HOST_ONLY else MAX_VALUE_UNITS
        if utf16_units(name) > MAX_KEY_UNITS or (method != "removekvpitems" and utf16_units(data) > limit):
            return "a data item's key or value is too long"
    return None


def start(model: HostModel, vm: EmulatedVm | None, method: str, items: list[Any], now: float) -> tuple[int, Any]:
    """Call one KVP method (under the model's lock): (ReturnValue, the job or None)."""
    if vm is None or invalid_items(method, items) is not None:
        return RETURN_INVALID_PARAMETER, None
    parsed = [parse_item(t) for t in items]
    job = KvpJob(
        instance_id=str(uuid.uuid4()).upper(),
        method=method,
        vm_id=vm.id,
        items=[(n, d, int(s or 0)) for n, d, s in (p for p in parsed if p is not None)],
        started_at=now,
        completes_at=now + model.costs.profile.kvp_job,
    )
    _jobs(model)[job.instance_id] = job
    settle(model, now)
    return RETURN_JOB_STARTED, job


def settle(model: HostModel, now: float) -> None:
    """Apply every job that has ended by `now`, in the order they started; forget old finished ones."""
    jobs = _jobs(model)
    for key, job in list(jobs.items()):
        if job.settled:
            if job.ended_at is not None and now - job.ended_at > JOB_RETENTION:
                del jobs[key]
            continue
        if now < job.completes_at:
            continue
        job.settled, job.ended_at = True, now
        vm = model.vm_by_id(job.vm_id)
        failure = _apply(vm, job) if vm is not None else "The virtual machine no longer exists."
        if failure is not None:
            job.error_code, job.error_description = RETURN_FAILED, failure
    for vm in model.vms:
        deliver(vm, now)


def _apply(vm: EmulatedVm, job: KvpJob) -> str | None:
    """Make the job's change, all or nothing; the reason it fails, or None."""
    kvp = vm.kvp
    if kvp.fail_jobs:
        # plausible WS2022 behaviour: what VMMS reports when the worker process cannot store the items.
        return f"'{vm.name}' failed to update its key-value pair items: the operation failed (0x80004005)."
    pools = {SOURCE_HOST_TO_GUEST: dict(kvp.host_items), SOURCE_HOST_ONLY: dict(kvp.host_only)}
    for name, data, source in job.items:
        pool = pools[source]
        if job.method == "addkvpitems":
            if name in pool:
                return f"'{vm.name}' failed to add the key-value pair item '{name}': the key already exists."
            pool[name] = data
        elif name not in pool:
            verb = "modify" if job.method == "modifykvpitems" else "remove"
            return f"'{vm.name}' failed to {verb} the key-value pair item '{name}': the key does not exist."
        elif job.method == "modifykvpitems":
            pool[name] = data
        else:
            del pool[name]
    kvp.host_items, kvp.host_only = pools[SOURCE_HOST_TO_GUEST], pools[SOURCE_HOST_ONLY]
    return None


def deliver(vm: EmulatedVm, now: float) -> None:
    """The guest receives the host's items while its KVP service answers (its pool 0 then mirrors them)."""
    if vm.kvp_answers(now) and vm.kvp.external != vm.kvp.host_items:
        vm.kvp.external = dict(vm.kvp.host_items)


def job_rows(model: HostModel, now: float) -> list[dict[str, Any]]:
    settle(model, now)
    return [job.row(now) for job in _jobs(model).values()]
