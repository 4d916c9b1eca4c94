"""Typed calls for key-value pairs: read every pool of some VMs, and apply pair edits to some VMs.

Both are one pipeline of the host module (`Get-HvGuiKvpPools`, `Set-HvGuiKvpItems`), with keys and values as
parameters. The host parses the data-item XML and answers one JSON string.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence

from hvgui.domain.errors import ProtocolError
from hvgui.domain.kvp import VmKvp, vm_kvp_from_json
from hvgui.domain.kvp_operations import KvpReport, KvpVmResult
from hvgui.remoting.connection import HostConnection
from hvgui.remoting.hostapi import ProgressCallback, _single_string
from hvgui.remoting.pipeline import PipelineSpec

READ_FUNCTION = "Get-HvGuiKvpPools"
WRITE_FUNCTION = "Set-HvGuiKvpItems"


def read_spec(vm_ids: Sequence[str] = ()) -> PipelineSpec:
    spec = PipelineSpec.cmdlet(READ_FUNCTION)
    return spec.param("VMId", [uuid.UUID(v) for v in vm_ids]) if vm_ids else spec


def write_spec(
    vm_ids: Sequence[str], actions: Iterable[tuple[str, str, str]], *, host_only: bool = False
) -> PipelineSpec:
    triples = list(actions)
    spec = (
        PipelineSpec.cmdlet(WRITE_FUNCTION)
        .param("VMId", [uuid.UUID(v) for v in vm_ids])
        .param("Name", [t[0] for t in triples])
        .param("Value", [t[1] for t in triples])
        .param("Action", [t[2] for t in triples])
    )
    return spec.switch("HostOnly") if host_only else spec


def parse_pools(text: str) -> list[VmKvp]:
    try:
        document = json.loads(text)
        if document.get("v") != 1:
            raise ValueError(f"schema {document.get('v')!r}")
        return [vm_kvp_from_json(row) for row in document["vms"]]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ProtocolError(f"{READ_FUNCTION} answered something hvgui cannot read ({exc}).") from None


async def read_pools(
    connection: HostConnection, vm_ids: Sequence[str] = (), *, timeout: float | None = None
) -> list[VmKvp]:
    """Every pool of the given VMs (all VMs of the host when none are given)."""
    result = await connection.run(read_spec(vm_ids), timeout=timeout)
    return parse_pools(_single_string(result, READ_FUNCTION))


async def apply_actions(
    connection: HostConnection,
    vm_ids: Sequence[str],
    actions: Iterable[tuple[str, str, str]],
    *,
    names: dict[str, str] | None = None,
    host_only: bool = False,
    timeout: float | None = None,
    on_progress: ProgressCallback = None,
) -> KvpReport:
    """Apply (name, value, action) triples to every VM; a report per VM (`names` gives VM names for it)."""
    result = await connection.run(
        write_spec(vm_ids, actions, host_only=host_only), timeout=timeout, on_progress=on_progress
    )
    text = _single_string(result, WRITE_FUNCTION)
    try:
        rows = json.loads(text)["results"]
        names = names or {}
        return KvpReport(
            tuple(
                KvpVmResult(
                    vm_id=str(r["id"]).lower(),
                    vm_name=names.get(str(r["id"]).lower(), str(r["id"])),
                    ok=bool(r["ok"]),
                    code=int(r["code"]),
                    error=str(r["error"] or ""),
                )
                for r in rows
            )
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise ProtocolError(f"{WRITE_FUNCTION} answered something hvgui cannot read ({exc}).") from None
