"""The KVP functions of hvgui's host module (`Get-HvGuiKvpPools`, `Set-HvGuiKvpItems`), written again in Python.

Like `functions`, each body calls the emulator's own CIM implementation through `calls.invoke`, with the
parameters the PowerShell text passes, in the order the text makes them, and reads only what those calls
return. `tests/remoting/test_host_module_twins.py` compares the calls with the text.
"""

from __future__ import annotations

import time
from typing import Any

from hvgui.emulator.runtime import TerminatingError

from . import errors, kvp
from .calls import invoke
from .context import CommandContext
from .functions import NAMESPACE, TIMEOUT_SEC, _list, _parts, to_compressed_json

#: Real seconds Set-HvGuiKvpItems waits for running jobs before it calls them still running.
JOB_WAIT_SECONDS = 120.0
#: Host seconds between two polls of the jobs (`[Threading.Thread]::Sleep(250)`).
POLL_SECONDS = 0.25


def _query(ctx: CommandContext, class_name: str, *middle: tuple[str, Any]) -> list[Any]:
    arguments = [("Namespace", NAMESPACE), ("ClassName", class_name), *middle]
    arguments += [("OperationTimeoutSec", TIMEOUT_SEC), ("ErrorAction", "Stop")]
    return invoke(ctx, "Get-CimInstance", arguments)


def _read(text: Any) -> tuple[str, str] | None:
    """Name and Data of an item as `XmlDocument.LoadXml` with PreserveWhitespace reads them."""
    parsed = kvp.parse_item(text)
    return None if parsed is None else (parsed[0], parsed[1])


def get_hvgui_kvp_pools(ctx: CommandContext) -> None:
    summaries = _query(ctx, "Msvm_SummaryInformation", ("Property", ["Name", "ElementName", "EnabledState"]))
    settings = _query(
        ctx,
        "Msvm_KvpExchangeComponentSettingData",
        ("Property", ["InstanceID", "EnabledState", "HostExchangeItems", "HostOnlyItems"]),
    )
    devices = _query(
        ctx,
        "Msvm_KvpExchangeComponent",
        (
            "Property",
            [
                "DeviceID",
                "OperationalStatus",
                "StatusDescriptions",
                "GuestIntrinsicExchangeItems",
                "GuestExchangeItems",
            ],
        ),
    )
    if ctx.stop_requested.is_set():
        return
    wanted = {str(i).upper() for i in _list(ctx.bound.get("VMId")) if i is not None}
    setting_by_vm = {p[1].upper(): s for s in settings if len(p := _parts(s.get("InstanceID"))) >= 3}
    device_by_vm = {p[1].upper(): d for d in devices if len(p := _parts(d.get("DeviceID"))) >= 3}
    rows = []
    for summary in summaries:
        key = str(summary.get("Name") or "").upper()
        if wanted and key not in wanted:
            continue
        setting, device = setting_by_vm.get(key), device_by_vm.get(key)
        row: dict[str, Any] = {
            "id": key.lower(),
            "name": str(summary.get("ElementName") or ""),
            "state": int(summary.get("EnabledState") or 0),
            "on": None,
            "p": None,
            "pt": "",
            "intrinsic": None,
            "guest": None,
            "host": [],
            "hostOnly": [],
            "bad": 0,
        }
        pools: dict[str, list[Any]] = {}
        if setting is not None:
            enabled = setting.get("EnabledState")
            row["on"] = enabled is not None and int(enabled) == 2
            pools["host"] = _list(setting.get("HostExchangeItems"))
            pools["hostOnly"] = _list(setting.get("HostOnlyItems"))
        if device is not None:
            statuses = _list(device.get("OperationalStatus"))
            texts = _list(device.get("StatusDescriptions"))
            row["p"] = int(statuses[0]) if statuses else None
            row["pt"] = str(texts[0]) if texts else ""
            row["intrinsic"], row["guest"] = [], []
            pools["intrinsic"] = _list(device.get("GuestIntrinsicExchangeItems"))
            pools["guest"] = _list(device.get("GuestExchangeItems"))
        for pool, items in pools.items():
            for item in items:
                if not item:
                    continue
                parsed = _read(item)
                if parsed is None:
                    row["bad"] += 1
                    continue
                name, data = parsed
                if pool == "intrinsic":
                    name, data = name.strip(), data.rstrip("\r\n")
                row[pool].append({"n": name, "d": data})
        rows.append(row)
    ctx.write_output(to_compressed_json({"v": 1, "vms": rows}))


def _escape(text: str) -> str:
    """The text's chain of `.Replace` calls."""
    return kvp.escape(text)


def set_hvgui_kvp_items(ctx: CommandContext) -> None:
    bound = ctx.bound
    names = [str(n) for n in _list(bound.get("Name"))]
    values = [str(v) for v in _list(bound.get("Value"))]
    actions = [str(a) for a in _list(bound.get("Action"))]
    if len(names) != len(values) or len(names) != len(actions):
        raise TerminatingError(
            errors.script_throw("hvgui: Name, Value and Action must have the same number of elements.")
        )
    host_only = bound.switch("HostOnly")
    source = kvp.SOURCE_HOST_ONLY if host_only else kvp.SOURCE_HOST_TO_GUEST
    pool = "HostOnlyItems" if host_only else "HostExchangeItems"
    services = _query(ctx, "Msvm_VirtualSystemManagementService")
    service = services[0] if services else None
    systems = _query(ctx, "Msvm_ComputerSystem", ("KeyOnly", True))
    settings = _query(
        ctx, "Msvm_KvpExchangeComponentSettingData", ("Property", ["InstanceID", "HostExchangeItems", "HostOnlyItems"])
    )
    system_by_id = {str(s.get("Name") or "").upper(): s for s in systems}
    keys_by_vm: dict[str, set[str]] = {}
    for setting in settings:
        parts = _parts(setting.get("InstanceID"))
        if len(parts) < 3:
            continue
        keys = set()
        for item in _list(setting.get(pool)):
            parsed = _read(item) if item else None
            if parsed is not None:
                keys.add(parsed[0])
        keys_by_vm[parts[1].upper()] = keys

    results: dict[str, dict[str, Any]] = {}
    for vm_id in _list(bound.get("VMId")):
        key = str(vm_id).upper()
        if key in results:
            continue
        results[key] = {"id": key.lower(), "ok": True, "code": 0, "error": ""}
        if key not in system_by_id:
            results[key].update(ok=False, code=32773, error="The host has no virtual machine with this id.")
    deadline = time.monotonic() + JOB_WAIT_SECONDS
    for method in ("RemoveKvpItems", "ModifyKvpItems", "AddKvpItems"):
        pending: dict[str, list[str]] = {}
        for key, result in results.items():
            if not result["ok"]:
                continue
            existing = keys_by_vm.get(key)
            items = []
            for name, value, action in zip(names, values, actions, strict=True):
                verb = action
                if verb.casefold() == "set":
                    verb = "Modify" if existing is not None and name in existing else "Add"
                if (verb + "KvpItems").casefold() != method.casefold():
                    continue
                data = value if method != "RemoveKvpItems" else ""
                items.append(
                    '<INSTANCE CLASSNAME="Msvm_KvpExchangeDataItem"><PROPERTY NAME="Data" TYPE="string"><VALUE>'
                    + _escape(data)
                    + '</VALUE></PROPERTY><PROPERTY NAME="Name" TYPE="string"><VALUE>'
                    + _escape(name)
                    + '</VALUE></PROPERTY><PROPERTY NAME="Source" TYPE="uint16"><VALUE>'
                    + str(source)
                    + "</VALUE></PROPERTY></INSTANCE>"
                )
            for start in range(0, len(items), kvp.MAX_ITEMS_PER_CALL):
                if not result["ok"]:
                    break
                batch = items[start : start + kvp.MAX_ITEMS_PER_CALL]
                arguments = {"TargetSystem": system_by_id[key], "DataItems": batch}
                try:
                    answers = invoke(
                        ctx,
                        "Invoke-CimMethod",
                        [
                            ("InputObject", service),
                            ("MethodName", method),
                            ("Arguments", arguments),
                            ("OperationTimeoutSec", TIMEOUT_SEC),
                            ("ErrorAction", "Stop"),
                        ],
                    )
                except TerminatingError as failure:
                    result.update(ok=False, code=32768, error=failure.error.message)
                    continue
                if not answers:
                    return  # the pipeline was stopped
                answer = answers[0]
                code = int(answer.get("ReturnValue"))
                if code == kvp.RETURN_JOB_STARTED:
                    pending.setdefault(key, []).append(str(answer.get("Job").get("InstanceID")))
                elif code != kvp.RETURN_COMPLETED:
                    result.update(ok=False, code=code, error=f"{method} returned {code}.")
        while pending:
            jobs = _query(
                ctx, "Msvm_ConcreteJob", ("Property", ["InstanceID", "JobState", "ErrorCode", "ErrorDescription"])
            )
            if ctx.stop_requested.is_set():
                return
            job_by_id = {str(j.get("InstanceID")): j for j in jobs}
            for key in list(pending):
                running = []
                for job_id in pending[key]:
                    job = job_by_id.get(job_id)
                    if job is None:
                        continue
                    state = int(job.get("JobState") or 0)
                    if state in (2, 3, 4):
                        running.append(job_id)
                    elif state != kvp.JOB_COMPLETED and results[key]["ok"]:
                        results[key].update(
                            ok=False, code=int(job.get("ErrorCode") or 0), error=str(job.get("ErrorDescription") or "")
                        )
                if running:
                    pending[key] = running
                else:
                    del pending[key]
            if pending:
                if time.monotonic() > deadline:
                    for key in pending:
                        results[key].update(ok=False, code=4096, error="The job is still running on the host.")
                    break
                if not ctx.model.costs.wait(POLL_SECONDS, ctx.stop_requested):
                    return
    ctx.write_output(to_compressed_json({"v": 1, "results": list(results.values())}))
