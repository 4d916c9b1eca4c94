"""PowerShell Direct on the host: `New-PSSession -VMId/-VMName -Credential`, `Copy-Item -FromSession` and
`Remove-PSSession` (hyperv-api.md §2.4).

A session signs in to a running Windows guest with one of its accounts (`GuestConfig.accepts`). The documented
errors: `The credential is invalid.` for a wrong account, `An error has occurred which Windows PowerShell cannot
handle. A remote session might have ended.` when the VM does not run or its guest cannot host PowerShell
Direct (Linux), and `The input VMName parameter does not resolve to any virtual machine.` for a VM the host
does not have. `Copy-Item -FromSession` copies a guest file or folder (with -Recurse, its whole tree) into a
folder of the host; a missing guest path fails with the provider's `Cannot find path '...' because it does not
exist.`

plausible WS2022 behaviour: the error ids and categories (the reference gives the texts only); the VMId
variant of the not-found text; sessions are remembered per host (a real host keeps them per runspace) and
are named `WinRM<n>` like the engine names them. Only what PowerShell Direct needs is emulated: Copy-Item
without -FromSession, -ToSession, -Filter, -Include and -Exclude fail as not supported here.
"""

from __future__ import annotations

import itertools
import ntpath
import threading
import uuid
from collections.abc import Iterator
from typing import Any

from psrpcore.types import ErrorCategory, PSCredential

from hvgui.emulator.runtime import TerminatingError

from .. import errors
from ..context import CommandContext
from ..types import PSSessionObject, ScriptBlockObject
from ..vm import EmulatedVm

CANNOT_HANDLE = "An error has occurred which Windows PowerShell cannot handle. A remote session might have ended."
CREDENTIAL_INVALID = "The credential is invalid."
NOT_RESOLVED = "The input {0} parameter does not resolve to any virtual machine."
PATH_MISSING = "Cannot find path '{0}' because it does not exist."
_REMOTING_EXCEPTION = (
    "System.Management.Automation.Remoting.PSRemotingTransportException",
    "System.Management.Automation.RuntimeException",
    "System.SystemException",
    "System.Exception",
)
_ITEM_NOT_FOUND = (
    "System.Management.Automation.ItemNotFoundException",
    "System.Management.Automation.SessionStateException",
    "System.Management.Automation.RuntimeException",
    "System.SystemException",
    "System.Exception",
)
_ARGUMENT_EXCEPTION = ("System.ArgumentException", "System.SystemException", "System.Exception")
_ids = itertools.count(1)
_ids_lock = threading.Lock()
#: model id -> {session instance id: VM id}: the open PowerShell Direct sessions of each host.
_OPEN: dict[int, dict[uuid.UUID, uuid.UUID]] = {}


def open_sessions(model: Any) -> dict[uuid.UUID, uuid.UUID]:
    """The open sessions of a host (instance id -> VM id); tests read it to see that none is left open."""
    return _OPEN.setdefault(id(model), {})


def _property(obj: Any, name: str) -> Any:
    meta = getattr(obj, "PSObject", None)
    if meta is None:
        return None
    for prop in (*meta.adapted_properties, *meta.extended_properties):
        if prop.name.casefold() == name.casefold():
            return prop.get_value(obj)
    return None


def _fail(
    ctx: CommandContext,
    message: str,
    error_id: str,
    category: ErrorCategory,
    types: tuple[str, ...],
    target: Any = None,
) -> None:
    ctx.write_error(errors.error(ctx.invocation, message, error_id, category, target=target, exception_types=types))


def new_ps_session(ctx: CommandContext) -> None:
    credential = ctx.bound.get("Credential")
    for session in _sessions(ctx, credential):
        ctx.write_output(session)


def _sessions(ctx: CommandContext, credential: PSCredential) -> Iterator[PSSessionObject]:
    """A session to each VM the call names (-VMId or -VMName); the errors of those that cannot have one."""
    bound = ctx.bound
    if "VMId" in bound:
        wanted = [uuid.UUID(str(v)) for v in bound.get("VMId")]
        with ctx.model.lock:
            found = [(w, next((vm for vm in ctx.model.vms if vm.id == w), None)) for w in wanted]
        parameter = "VMId"
    else:
        names = list(bound.get("VMName"))
        with ctx.model.lock:
            found = [
                (n, next((vm for vm in ctx.model.vms if vm.name.casefold() == str(n).casefold()), None)) for n in names
            ]
        parameter = "VMName"
    for key, vm in found:
        if vm is None:
            _fail(
                ctx,
                NOT_RESOLVED.format(parameter),
                "InvalidArgument",
                ErrorCategory.InvalidArgument,
                _ARGUMENT_EXCEPTION,
                str(key),
            )
            continue
        session = _open(ctx, vm, credential)
        if session is not None:
            yield session


def _open(ctx: CommandContext, vm: EmulatedVm, credential: PSCredential) -> PSSessionObject | None:
    # Signing in and starting the guest's runspace (or failing to) takes the session's set-up time.
    if not ctx.model.costs.charge_objects("New-PSSession", ctx.stop_requested):
        return None
    now = ctx.now()
    with ctx.model.lock:
        booted = vm.has_runtime_components(now) and not vm.guest_hung(now) and vm.guest.os.is_windows
        user = str(getattr(credential, "UserName", "") or "")
        secret = getattr(credential, "Password", None)
        password = secret.decrypt() if secret is not None else ""
        accepted = booted and vm.guest.accepts(user, password)
    if not booted:
        _fail(ctx, CANNOT_HANDLE, "PSSessionOpenFailed", ErrorCategory.OpenError, _REMOTING_EXCEPTION, vm.name)
        return None
    if not accepted:
        _fail(ctx, CREDENTIAL_INVALID, "InvalidCredential", ErrorCategory.InvalidArgument, _REMOTING_EXCEPTION, vm.name)
        return None
    with _ids_lock:
        number = next(_ids)
    instance = uuid.uuid4()
    with ctx.model.lock:
        open_sessions(ctx.model)[instance] = vm.id
    session = PSSessionObject()
    values = {
        "Id": number, "Name": f"WinRM{number}", "ComputerName": vm.name, "ComputerType": "VirtualMachine",
        "State": "Opened", "ConfigurationName": "Microsoft.PowerShell", "Availability": "Available",
        "VMId": vm.id, "VMName": vm.name, "InstanceId": instance,
    }  # fmt: skip
    for prop in session.PSObject.adapted_properties:
        prop.set_value(values[prop.name], session)
    return session


def _session_vm(ctx: CommandContext, session: Any) -> EmulatedVm | None:
    """The VM of an open session, or None when the session is closed (removed) or not one of this host's."""
    instance = _property(session, "InstanceId")
    with ctx.model.lock:
        vm_id = open_sessions(ctx.model).get(instance) if isinstance(instance, uuid.UUID) else None
        return next((vm for vm in ctx.model.vms if vm.id == vm_id), None) if vm_id is not None else None


def remove_ps_session(ctx: CommandContext) -> None:
    bound = ctx.bound
    if "Session" not in bound:
        raise TerminatingError(
            errors.invalid_argument(ctx.invocation, "hvgui emulator: only Remove-PSSession -Session is emulated.")
        )
    for session in bound.get("Session"):
        instance = _property(session, "InstanceId")
        with ctx.model.lock:
            open_sessions(ctx.model).pop(instance, None)


def copy_item(ctx: CommandContext) -> None:
    bound = ctx.bound
    unsupported = [p for p in ("ToSession", "Filter", "Include", "Exclude") if p in bound]
    if "FromSession" not in bound or unsupported:
        raise TerminatingError(
            errors.invalid_argument(ctx.invocation, "hvgui emulator: only Copy-Item -FromSession is emulated.")
        )
    vm = _session_vm(ctx, bound.get("FromSession"))
    if vm is None:
        raise TerminatingError(
            errors.error(
                ctx.invocation,
                CANNOT_HANDLE,
                "PSSessionStateBroken",
                ErrorCategory.InvalidOperation,
                exception_types=_REMOTING_EXCEPTION,
            )
        )
    paths = bound.get("Path") if "Path" in bound else bound.get("LiteralPath")
    destination = str(bound.get("Destination") or ctx.model.home)
    recurse = bound.switch("Recurse")
    for path in paths:
        _copy_one(ctx, vm, str(path), destination, recurse)


def _copy_one(ctx: CommandContext, vm: EmulatedVm, path: str, destination: str, recurse: bool) -> None:
    guest, host = vm.files, ctx.model.files
    with ctx.model.lock:
        if not guest.exists(path):
            _fail(ctx, PATH_MISSING.format(path), "PathNotFound", ErrorCategory.ObjectNotFound, _ITEM_NOT_FOUND, path)
            return
        name = ntpath.basename(path.rstrip("\\"))
        into = host.is_dir(destination)
        target = ntpath.join(destination, name) if into else destination
        if not guest.is_dir(path):
            data = guest.read(path)
            pending = [(target, data)]
            folders = []
        else:
            folders = [target]
            pending = []
            if recurse:
                root = path.rstrip("\\")
                for inner, _length in guest.files_under(root).items():
                    relative = inner[len(root) + 1 :]
                    pending.append((ntpath.join(target, relative), guest.read(inner)))
                folders += [ntpath.join(target, r[len(root) + 1 :]) for r in guest.dirs_under(root)]
    size = sum(len(d) for _t, d in pending)
    # plausible WS2022 behaviour: PowerShell Direct moves files over VMBus at about the guest-copy rate.
    if not ctx.model.costs.sleep(ctx.model.costs.profile.guest_copy_per_mib * size / (1024 * 1024), ctx.stop_requested):
        return
    with ctx.model.lock:
        for folder in folders:
            host.make_dirs(folder)
        for target_path, data in pending:
            host.write(target_path, data, overwrite=True, create_parents=True)


def invoke_command(ctx: CommandContext) -> None:
    """`Invoke-Command -VMId/-VMName -Credential -ScriptBlock [-ArgumentList]`: a session per VM, the script
    block run in its guest, its output returned, the session closed. Only hvgui's own script blocks run
    (`ScriptBlockObject`); the guest's file system is the VM's."""
    from ..guest_scripts import GUEST_SCRIPTS  # its bodies use this module's errors; bind late

    bound = ctx.bound
    unsupported = [p for p in ("AsJob", "InputObject", "ConfigurationName", "ThrottleLimit") if p in bound]
    script = bound.get("ScriptBlock")
    body = GUEST_SCRIPTS.get(script.key) if isinstance(script, ScriptBlockObject) else None
    if unsupported or body is None:
        raise TerminatingError(
            errors.invalid_argument(
                ctx.invocation,
                "hvgui emulator: only Invoke-Command -VMId/-VMName -Credential with one of hvgui's script blocks "
                "and -ArgumentList is emulated.",
            )
        )
    arguments = list(bound.get("ArgumentList") or [])
    for session in _sessions(ctx, bound.get("Credential")):
        vm = _session_vm(ctx, session)
        try:
            if vm is not None:
                for value in body(ctx, vm, arguments):
                    ctx.write_output(value)
        finally:
            with ctx.model.lock:
                open_sessions(ctx.model).pop(_property(session, "InstanceId"), None)
