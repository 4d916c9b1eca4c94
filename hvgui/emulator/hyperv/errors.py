"""The errors a host reports, with their real messages, ids, categories and exception types.

Hyper-V module errors are `VirtualizationException`s whose ErrorId and category come from the decompiled
`ExceptionHelper` (hyperv-api.md §3). Parameter-binding errors are PowerShell's own
`ParameterBindingException`s with the engine's en-US messages (Windows PowerShell 5.1 wording).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psrpcore.types import ErrorCategory

from hvgui.emulator.runtime import CmdletError

VIRTUALIZATION_EXCEPTION = ("Microsoft.HyperV.PowerShell.VirtualizationException", "System.Exception", "System.Object")
_RUNTIME_EXCEPTION = (
    "System.Management.Automation.RuntimeException",
    "System.SystemException",
    "System.Exception",
    "System.Object",
)
PARAMETER_BINDING_EXCEPTION = ("System.Management.Automation.ParameterBindingException", *_RUNTIME_EXCEPTION)
COMMAND_NOT_FOUND_EXCEPTION = ("System.Management.Automation.CommandNotFoundException", *_RUNTIME_EXCEPTION)
PARSE_EXCEPTION = ("System.Management.Automation.ParseException", *_RUNTIME_EXCEPTION)
ACTION_PREFERENCE_STOP_EXCEPTION = ("System.Management.Automation.ActionPreferenceStopException", *_RUNTIME_EXCEPTION)
RUNTIME_EXCEPTION = _RUNTIME_EXCEPTION

# Hyper-V module resources (Microsoft.HyperV.PowerShell.*.resx, en-US).
VM_NOT_FOUND_BY_NAME = 'Hyper-V was unable to find a virtual machine with name "{0}".'
VM_NOT_FOUND_BY_ID = 'Hyper-V was unable to find a virtual machine with id "{0}".'
ALREADY_IN_DESIRED_STATE = "The virtual machine is already in the specified state."
INVALID_STATE = "The operation cannot be performed while the virtual machine is in its current state."
SAVE_AND_TURN_OFF = "The Save and TurnOff parameters are mutually exclusive."
AS_JOB_AND_PASSTHRU = "The Asjob and Passthru switches cannot be set at the same time."
COMPONENT_NOT_FOUND = "No integration component with the given name could be found."
CONDITION_NOT_SATISFIED = (
    "This command stopped operation because the specified condition is not satisfied in the specified time-out."
)
NON_INTERACTIVE = "Windows PowerShell is in NonInteractive mode. Read and Prompt functionality is not available."
SNAPSHOT_NOT_FOUND = "Unable to find a snapshot matching the given criteria."
TAKE_SNAPSHOT_FAILED = "Taking a checkpoint of '{0}' failed."
# plausible WS2022 behaviour: the detail lines VMMS adds to a failed checkpoint job are not in the reference.
PRODUCTION_CHECKPOINT_UNAVAILABLE = "Production checkpoints cannot be created for '{0}'. (Virtual machine ID {1})"
CHECKPOINTS_DISABLED = "Checkpoints are disabled for '{0}'. (Virtual machine ID {1})"
COPY_FAILED = "Failed to initiate copying files to the guest."
# plausible WS2022 behaviour: the second line follows the substring Microsoft's LIS tests match
# ("failed to initiate copying files to the guest: The file exists. (0x80070050)").
COPY_FAILED_DETAIL = "'{0}' failed to initiate copying files to the guest: {1} (Virtual machine ID {2})"
FILE_EXISTS = "The file exists. (0x80070050)"
FILE_NOT_FOUND = "The system cannot find the file specified. (0x80070002)"
PATH_NOT_FOUND = "The system cannot find the path specified. (0x80070003)"
GUEST_NOT_READY = "The device is not ready. (0x80070015)"
BAD_GUEST_PATH = "The filename, directory name, or volume label syntax is incorrect. (0x8007007B)"
# plausible WS2022 behaviour: the emulator can only reach itself; the text is resx ConnectionIssue_ReallyUnknown.
CANNOT_CONNECT = "Could not connect to the Virtual Machine Management service on computer '{0}'."


@dataclass(frozen=True)
class Invocation:
    """The command an error is reported for: `Get-VM` and `Microsoft.HyperV.PowerShell.Commands.GetVM`."""

    name: str
    fqid_suffix: str  # the cmdlet's class name; a function's own name


def _target(target: Any) -> tuple[str, str, Any]:
    """CategoryInfo target name and type for a target object, like `ErrorCategoryInfo` computes them."""
    if target is None:
        return "", "", None
    if isinstance(target, str):
        return target, "String", target
    type_names = getattr(getattr(target, "PSObject", None), "type_names", None) or [type(target).__name__]
    return str(target), type_names[0].rsplit(".", 1)[-1], target


def error(
    inv: Invocation,
    message: str,
    error_id: str,
    category: ErrorCategory,
    *,
    target: Any = None,
    exception_types: tuple[str, ...] = VIRTUALIZATION_EXCEPTION,
) -> CmdletError:
    name, type_name, obj = _target(target)
    return CmdletError(
        message=message,
        fully_qualified_error_id=f"{error_id},{inv.fqid_suffix}" if inv.fqid_suffix else error_id,
        category=category,
        activity=inv.name,
        reason=exception_types[0].rsplit(".", 1)[-1],
        target_name=name,
        target_type=type_name,
        target_object=obj,
        exception_types=exception_types,
    )


# ---------------------------------------------------------------- Hyper-V module errors


def vm_not_found_get_vm(inv: Invocation, name: str) -> CmdletError:
    """Get-VM reports a missing name as InvalidParameter with the name as target (genuine capture)."""
    return error(inv, VM_NOT_FOUND_BY_NAME.format(name), "InvalidParameter", ErrorCategory.InvalidArgument, target=name)


def vm_not_found(inv: Invocation, name: str) -> CmdletError:
    """Other cmdlets resolve names with ErrorDisplayMode.WriteError: ObjectNotFound, no target."""
    return error(inv, VM_NOT_FOUND_BY_NAME.format(name), "ObjectNotFound", ErrorCategory.ObjectNotFound)


def vm_not_found_by_id(inv: Invocation, vm_id: str) -> CmdletError:
    return error(inv, VM_NOT_FOUND_BY_ID.format(vm_id), "ObjectNotFound", ErrorCategory.ObjectNotFound)


def invalid_state(inv: Invocation, vm_object: Any) -> CmdletError:
    return error(inv, INVALID_STATE, "InvalidState", ErrorCategory.InvalidOperation, target=vm_object)


def invalid_argument(inv: Invocation, message: str) -> CmdletError:
    """`ExceptionHelper.CreateInvalidArgumentException`: InvalidParameter / InvalidArgument, no target."""
    return error(inv, message, "InvalidParameter", ErrorCategory.InvalidArgument)


def operation_failed(inv: Invocation, message: str) -> CmdletError:
    """`ExceptionHelper.CreateOperationFailedException`: OperationFailed / InvalidOperation."""
    return error(inv, message, "OperationFailed", ErrorCategory.InvalidOperation)


def job_failed(inv: Invocation, message: str, *, target: Any = None) -> CmdletError:
    """A failed WMI job (error code 32768, Failed): `OperationFailed` / NotSpecified (ExceptionHelper mapping)."""
    return error(inv, message, "OperationFailed", ErrorCategory.NotSpecified, target=target)


def snapshot_not_found(inv: Invocation) -> CmdletError:
    return error(inv, SNAPSHOT_NOT_FOUND, "ObjectNotFound", ErrorCategory.ObjectNotFound)


def non_interactive(inv: Invocation) -> CmdletError:
    """A ShouldContinue prompt in a remote (non-interactive) runspace (genuine capture for Stop-VM)."""
    return error(inv, NON_INTERACTIVE, "InvalidOperation", ErrorCategory.InvalidOperation)


def cannot_connect(inv: Invocation, computer: str) -> CmdletError:
    return error(inv, CANNOT_CONNECT.format(computer), "Unspecified", ErrorCategory.NotSpecified)


# ---------------------------------------------------------------- PowerShell engine errors


def binding(inv: Invocation, message: str, error_id: str, *, target: Any = None) -> CmdletError:
    return error(
        inv,
        message,
        error_id,
        ErrorCategory.InvalidArgument,
        target=target,
        exception_types=PARAMETER_BINDING_EXCEPTION,
    )


def command_not_found(name: str) -> CmdletError:
    message = (
        f"The term '{name}' is not recognized as the name of a cmdlet, function, script file, or operable "
        "program. Check the spelling of the name, or if a path was included, verify that the path is correct "
        "and try again."
    )
    return error(
        Invocation("", ""),
        message,
        "CommandNotFoundException",
        ErrorCategory.ObjectNotFound,
        target=name,
        exception_types=COMMAND_NOT_FOUND_EXCEPTION,
    )


def scripts_not_allowed() -> CmdletError:
    """What a runspace that cannot run arbitrary script text answers (a no-language runspace)."""
    return error(
        Invocation("", ""),
        "The syntax is not supported by this runspace. This can occur if the runspace is in no-language mode.",
        "ScriptsNotAllowed",
        ErrorCategory.ParserError,
        exception_types=PARSE_EXCEPTION,
    )


def warning_stop(inv: Invocation, warning: str) -> CmdletError:
    """-WarningAction Stop turns a warning into a terminating error."""
    message = (
        'The running command stopped because the preference variable "WarningPreference" or common parameter '
        f"is set to Stop: {warning}"
    )
    return error(
        inv,
        message,
        "ActionPreferenceStop",
        ErrorCategory.OperationStopped,
        exception_types=ACTION_PREFERENCE_STOP_EXCEPTION,
    )


def script_throw(message: str) -> CmdletError:
    """`throw "text"` in a script: a RuntimeException whose ErrorId is the text itself."""
    return error(
        Invocation("", ""),
        message,
        message,
        ErrorCategory.OperationStopped,
        target=message,
        exception_types=RUNTIME_EXCEPTION,
    )


#: System.IO.FileNotFoundException of File.OpenRead, as .NET words it (en-US).
FILE_NOT_FOUND_NET = "Could not find file '{0}'."
#: System.IO.IOException for ERROR_DISK_FULL (0x80070070), as .NET words it (en-US).
DISK_FULL = "There is not enough space on the disk.\r\n"
METHOD_INVOCATION_EXCEPTION = ("System.Management.Automation.MethodInvocationException", *_RUNTIME_EXCEPTION)


def method_failed(method: str, arguments: int, message: str, error_id: str = "IOException") -> CmdletError:
    """A .NET method call in a script that threw: `Exception calling "Write" with "3" argument(s): "..."`,
    ErrorId the inner exception's type name (`IOException`, `FileNotFoundException`), category NotSpecified."""
    return error(
        Invocation("", ""),
        f'Exception calling "{method}" with "{arguments}" argument(s): "{message}"',
        error_id,
        ErrorCategory.NotSpecified,
        exception_types=METHOD_INVOCATION_EXCEPTION,
    )
