"""The Hyper-V cmdlets the emulator implements, one module per noun, by lower-case cmdlet name."""

from __future__ import annotations

from ..cim.cmdlets import get_cim_associated_instance, get_cim_instance, invoke_cim_method
from ..cim.indications import register_cim_indication_event
from ..context import Command
from .checkpoint import checkpoint_vm, get_vm_snapshot
from .checkpoint_changes import remove_vm_snapshot, rename_vm_snapshot, restore_vm_snapshot
from .direct import copy_item, invoke_command, new_ps_session, remove_ps_session
from .files import copy_vm_file
from .host import get_vm_host
from .integration import disable_vm_integration_service, enable_vm_integration_service, get_vm_integration_service
from .settings import set_vm
from .vm import get_vm, restart_vm, resume_vm, save_vm, start_vm, stop_vm, suspend_vm

CMDLETS: dict[str, Command] = {
    "get-vm": get_vm,
    "start-vm": start_vm,
    "stop-vm": stop_vm,
    "save-vm": save_vm,
    "restart-vm": restart_vm,
    "suspend-vm": suspend_vm,
    "resume-vm": resume_vm,
    "get-vmintegrationservice": get_vm_integration_service,
    "enable-vmintegrationservice": enable_vm_integration_service,
    "disable-vmintegrationservice": disable_vm_integration_service,
    "get-vmhost": get_vm_host,
    "checkpoint-vm": checkpoint_vm,
    "get-vmsnapshot": get_vm_snapshot,
    "restore-vmsnapshot": restore_vm_snapshot,
    "remove-vmsnapshot": remove_vm_snapshot,
    "rename-vmsnapshot": rename_vm_snapshot,
    "set-vm": set_vm,
    "copy-vmfile": copy_vm_file,
    "new-pssession": new_ps_session,
    "copy-item": copy_item,
    "remove-pssession": remove_ps_session,
    "invoke-command": invoke_command,
    "get-ciminstance": get_cim_instance,
    "get-cimassociatedinstance": get_cim_associated_instance,
    "invoke-cimmethod": invoke_cim_method,
    "register-cimindicationevent": register_cim_indication_event,
}
