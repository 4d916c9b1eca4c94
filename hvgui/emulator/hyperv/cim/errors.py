"""The errors the CIM cmdlets report: `CimException`s whose id is the WMI HRESULT.

plausible WS2022 behaviour: Windows PowerShell 5.1 writes WMI failures as `HRESULT 0x8004xxxx,<cmdlet class>`
with the provider's short message followed by a space ("Invalid class "), category from the MI result.
"""

from __future__ import annotations

from psrpcore.types import ErrorCategory

from hvgui.emulator.runtime import CmdletError

from .. import errors
from ..errors import Invocation

CIM_EXCEPTION = ("Microsoft.Management.Infrastructure.CimException", "System.SystemException", "System.Exception")

INVALID_CLASS = ("Invalid class ", "HRESULT 0x80041010", ErrorCategory.ObjectNotFound)
INVALID_NAMESPACE = ("Invalid namespace ", "HRESULT 0x8004100e", ErrorCategory.ObjectNotFound)
INVALID_QUERY = ("Invalid query ", "HRESULT 0x80041017", ErrorCategory.InvalidArgument)
INVALID_METHOD = ("Invalid method ", "HRESULT 0x80041055", ErrorCategory.MetadataError)
NOT_SUPPORTED = ("Not supported ", "HRESULT 0x8004100c", ErrorCategory.NotImplemented)
#: WBEM_E_FAILED: what a provider that fails while it answers gives (a crashed or restarted provider host).
GENERIC_FAILURE = ("Generic failure ", "HRESULT 0x80041001", ErrorCategory.NotSpecified)
#: The WS-Management fault a CIM operation gets when -OperationTimeoutSec passes (ERROR_WSMAN_OPERATION_TIMEDOUT).
TIMED_OUT = (
    "The WS-Management service cannot complete the operation within the time specified in OperationTimeout.",
    "HRESULT 0x80338029",
    ErrorCategory.OperationTimeout,
)


def cim_error(inv: Invocation, kind: tuple[str, str, ErrorCategory], *, target: object = None) -> CmdletError:
    message, error_id, category = kind
    return errors.error(inv, message, error_id, category, target=target, exception_types=CIM_EXCEPTION)
