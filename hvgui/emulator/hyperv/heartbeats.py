"""Changing what guests show the host, from outside the host: what tests and benchmarks do to heartbeats.

A scenario scripts heartbeats by itself: a booting guest shows `NoContact` until it answers (its OS's
`boot_seconds`), `hang` schedules make a guest lose communication and recover, `applications_critical` makes a
Windows guest report a critical application, a paused VM shows `Paused`, a VM whose Heartbeat service is
disabled shows `Disabled`. This module adds the events no schedule knows in advance, as an admin or a failing
guest would cause them:

- `hang(model, vms)` / `recover(model, vms)`: the guest stops (starts again) answering the heartbeat now;
- `set_applications_critical(model, vms, critical)`: a monitored application in a Windows guest fails (recovers);
- `jump_wall_clock(model, seconds)`: the host's wall clock is set forward or back (an NTP step, an admin);
- `kill_watchers(model)`: every running change watcher (`Watch-HvGuiChange`) of the host fails at its next tick,
  as when the WMI provider it reads or listens to fails.

`control(hosts, command)` applies one such command given as a dict (what `python -m hvgui.emulator --control`
reads from its stdin, one JSON object per line), so a benchmark can drive a host in another process.
"""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from .cim import indications
from .host import HostModel
from .vm import EmulatedVm


def _vms(model: HostModel, vms: Iterable[str | uuid.UUID]) -> list[EmulatedVm]:
    """The VMs named by id (any case) or by name; KeyError for one the host does not have."""
    wanted = list(vms)
    found = []
    for item in wanted:
        text = str(item).strip()
        vm = next((v for v in model.vms if str(v.id) == text.lower() or v.name == text), None)
        if vm is None:
            raise KeyError(f"{model.name} has no VM {text!r}")
        found.append(vm)
    return found


def hang(model: HostModel, vms: Iterable[str | uuid.UUID]) -> None:
    """The guests stop answering their host now (a hung kernel, a stuck guest): heartbeat `LostCommunication`."""
    with model.lock:
        for vm in _vms(model, vms):
            vm.hung_now = True


def recover(model: HostModel, vms: Iterable[str | uuid.UUID]) -> None:
    """The guests answer again (their scheduled hangs, if any, still apply)."""
    with model.lock:
        for vm in _vms(model, vms):
            vm.hung_now = False


def set_applications_critical(model: HostModel, vms: Iterable[str | uuid.UUID], critical: bool) -> None:
    """A Windows guest's application health turns critical (`OkApplicationsCritical`) or healthy again."""
    with model.lock:
        for vm in _vms(model, vms):
            vm.guest = dataclasses.replace(vm.guest, applications_critical=critical)
            vm.kvp.guest_config = vm.guest


def jump_wall_clock(model: HostModel, seconds: float) -> None:
    """Set the host's wall clock `seconds` forward (negative: back); its monotonic clock does not move."""
    with model.lock:
        base = model.wall_clock

        def jumped() -> float:
            return base() + seconds

        model.wall_clock = jumped


# --- killing watchers ------------------------------------------------------------------------------------

_kills_lock = threading.Lock()
_kills: dict[int, int] = {}  # id(model) -> how many times its watchers were killed


def kill_watchers(model: HostModel) -> None:
    """Every change watcher running on this host now fails at its next tick (those started later run): a
    scanning one at its next query, a listening one because its event subscriptions end with an error."""
    with _kills_lock:
        _kills[id(model)] = _kills.get(id(model), 0) + 1
    indications.fail_subscriptions(model)


def kills(model: HostModel) -> int:
    """How many times this host's watchers were killed (a watcher remembers the number it started with)."""
    with _kills_lock:
        return _kills.get(id(model), 0)


# --- control commands ------------------------------------------------------------------------------------

OPERATIONS = ("hang", "recover", "critical", "healthy", "clock-jump", "kill-watchers")


def control(models: Sequence[HostModel], command: dict[str, Any]) -> dict[str, Any]:
    """Apply one command: `{"op": "hang", "host": "HV-LARGE-01", "vms": ["<id or name>", ...]}`.

    `op` is one of OPERATIONS; `host` may be left out when there is one host; `clock-jump` takes `seconds`.
    Returns `{"ok": true, "op": ..., "at": <time.time() once applied>}`, or `{"ok": false, "error": ...}`.
    """
    try:
        op = str(command.get("op", ""))
        if op not in OPERATIONS:
            raise ValueError(f"unknown op {op!r}; use one of {', '.join(OPERATIONS)}")
        model = _host(models, command.get("host"))
        vms = [str(v) for v in command.get("vms", [])]
        if op == "hang":
            hang(model, vms)
        elif op == "recover":
            recover(model, vms)
        elif op in ("critical", "healthy"):
            set_applications_critical(model, vms, op == "critical")
        elif op == "clock-jump":
            jump_wall_clock(model, float(command["seconds"]))
        else:
            kill_watchers(model)
    except (KeyError, ValueError, TypeError) as exc:
        return {"ok": False, "error": str(exc)}
    return {"ok": True, "op": op, "at": time.time()}


def _host(models: Sequence[HostModel], name: Any) -> HostModel:
    if name is None:
        if len(models) != 1:
            raise ValueError("name the host: the scenario has several")
        return models[0]
    for model in models:
        if model.name.casefold() == str(name).casefold():
            return model
    raise KeyError(f"no host {name!r}")
