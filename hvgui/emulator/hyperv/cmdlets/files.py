"""Copy-VMFile: copy a file of the host into a running guest through the Guest Service Interface.

Decompiled `CopyVMFile` / `GuestServiceInterfaceComponent.CopyFileToGuest` (hyperv-api.md §2.3): -SourcePath
is resolved on the host from the session's location (environment variables expanded by the host), so a file
put there with pypsrp's `Client.copy` can be copied on. A VM that does not run has no runtime component
(`OperationFailed`, the invalid-state text); otherwise the copy job fails with `Failed to initiate copying
files to the guest.` when the component is disabled or the guest side does not answer, when the target
exists without -Force (`The file exists. (0x80070050)`), or when its folder is missing without
-CreateFullPath.

plausible WS2022 behaviour: environment variables in -DestinationPath (expanded by the guest) are taken
literally; a relative destination path is refused by the guest.
"""

from __future__ import annotations

import ntpath
import posixpath

from .. import components as ic
from .. import errors, scripts
from ..context import CommandContext
from ..vm import EmulatedVm
from .common import OperandFailed, for_each
from .resolve import resolve_vms

GSI = ic.GUEST_SERVICE_INTERFACE.ic_guid
MIB = 1024 * 1024


def _failed(ctx: CommandContext, vm: EmulatedVm, reason: str) -> OperandFailed:
    detail = errors.COPY_FAILED_DETAIL.format(vm.name, reason, str(vm.id).upper())
    return OperandFailed(errors.job_failed(ctx.invocation, errors.COPY_FAILED + "\n" + detail))


def _guest_target(vm: EmulatedVm, destination: str, source: str) -> str | None:
    """The file the guest writes: the destination, or the source's name inside it when it is a folder."""
    files = vm.files
    name = ntpath.basename(source)
    if files.windows:
        if not ntpath.isabs(destination) or not ntpath.splitdrive(destination)[0]:
            return None
        return ntpath.join(destination, name) if files.is_dir(destination) else destination
    if not destination.startswith("/"):
        return None
    # hv_fcopy_uio_daemon turns every non-ASCII UTF-16 unit of a name into "X".
    name = "".join(c if c.isascii() else "X" for c in name)
    return posixpath.join(destination, name) if files.is_dir(destination) else destination


def _parent(vm: EmulatedVm, path: str) -> str:
    return ntpath.dirname(path) if vm.files.windows else posixpath.dirname(path)


def copy_vm_file(ctx: CommandContext) -> None:
    bound = ctx.bound
    with ctx.model.lock:
        vms = resolve_vms(ctx)
        source = scripts.host_path(ctx.model, bound.get("SourcePath"), True)

    def process(vm: EmulatedVm) -> None:
        if not ctx.should_process():
            return
        now = ctx.now()
        if not vm.has_runtime_components(now):
            raise OperandFailed(errors.operation_failed(ctx.invocation, errors.INVALID_STATE))
        if not vm.guest_answers(GSI, now) or vm.guest_hung(now):
            raise _failed(ctx, vm, errors.GUEST_NOT_READY)
        host_files = ctx.model.files
        if not host_files.exists(source) or host_files.is_dir(source):
            raise _failed(ctx, vm, errors.FILE_NOT_FOUND)
        target = _guest_target(vm, bound.get("DestinationPath"), source)
        if target is None:
            raise _failed(ctx, vm, errors.BAD_GUEST_PATH)
        create_full_path = bound.switch("CreateFullPath")
        if not create_full_path and not vm.files.is_dir(_parent(vm, target)):
            raise _failed(ctx, vm, errors.PATH_NOT_FOUND)
        if vm.files.exists(target) and not bound.switch("Force"):
            raise _failed(ctx, vm, errors.FILE_EXISTS)
        data = host_files.read(source)
        if not ctx.model.costs.sleep(ctx.model.costs.profile.guest_copy_per_mib * len(data) / MIB, ctx.stop_requested):
            return
        try:
            vm.files.write(target, data, overwrite=True, create_parents=create_full_path)
        except IsADirectoryError:
            raise _failed(ctx, vm, errors.FILE_EXISTS) from None

    for_each(ctx, vms, process)
