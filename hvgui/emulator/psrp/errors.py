"""ErrorRecords built the way a Windows PowerShell host serializes them.

A real ErrorRecord carries the .NET exception with its full type-name chain, the ErrorCategoryInfo
(category, activity, reason, target name and type), the FullyQualifiedErrorId and the target object;
clients show and branch on all of these, so each comes from the runtime's `CmdletError`.
"""

from __future__ import annotations

from psrpcore.types import ErrorCategory, ErrorCategoryInfo, ErrorRecord, NETException

from hvgui.emulator.clixml_text import clixml_text
from hvgui.emulator.runtime import CmdletError

#: HResult of System.Management.Automation exceptions (COR_E_SYSTEM, 0x80131501) as PowerShell reports it.
DEFAULT_HRESULT = -2146233087


class WindowsErrorCategoryInfo(ErrorCategoryInfo):
    """ErrorCategoryInfo whose message reads like PowerShell's: `ObjectNotFound: (vm1:String) [Get-VM], X`.

    psrpcore's own text leaves out the colon after the category; the message travels on the wire as
    `ErrorCategory_Message`, so it is written the way Windows writes it.
    """

    def __str__(self) -> str:
        return (
            f"{self.Category.name}: ({self.TargetName or ''}:{self.TargetType or ''}) "
            f"[{self.Activity or ''}], {self.Reason or ''}"
        )


def _exception_type_names(exception_types: tuple[str, ...]) -> list[str]:
    names = [name for name in exception_types if name]
    for base in ("System.Exception", "System.Object"):
        if base not in names:
            names.append(base)
    return names


def _short_name(type_name: str) -> str:
    return type_name.rsplit(".", 1)[-1]


def error_record(error: CmdletError) -> ErrorRecord:
    """The ErrorRecord PowerShell would serialize for this error."""
    type_names = _exception_type_names(error.exception_types)
    exception = NETException(Message=error.message, HResult=DEFAULT_HRESULT)
    exception.PSObject.type_names = type_names
    exception.PSObject.to_string = clixml_text(f"{type_names[0]}: {error.message}")
    category = error.category if isinstance(error.category, ErrorCategory) else ErrorCategory.NotSpecified
    category_info = WindowsErrorCategoryInfo(
        Category=category,
        Activity=error.activity,
        Reason=error.reason or _short_name(type_names[0]),
        TargetName=error.target_name,
        TargetType=error.target_type,
    )
    record = ErrorRecord(
        Exception=exception,
        CategoryInfo=category_info,
        TargetObject=error.target_object,
        FullyQualifiedErrorId=error.fully_qualified_error_id,
    )
    record.PSObject.to_string = clixml_text(error.message)
    return record


def internal_error(command: str, exc: BaseException) -> CmdletError:
    """The error reported when the emulated host itself fails while running a pipeline.

    A real host would never say this; it points at a defect in the emulator's model, and says so
    plainly instead of looking like a Hyper-V error.
    """
    message = f"The emulated host failed while running '{command}': {type(exc).__name__}: {exc}"
    return CmdletError(
        message=message,
        fully_qualified_error_id="EmulatorInternalError",
        category=ErrorCategory.NotSpecified,
        activity=command,
        reason="RuntimeException",
        exception_types=(
            "System.Management.Automation.RuntimeException",
            "System.SystemException",
            "System.Exception",
        ),
    )
