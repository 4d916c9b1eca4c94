"""What the host tells a client about itself when a runspace pool opens (APPLICATION_PRIVATE_DATA)."""

from __future__ import annotations

from typing import Any

from psrpcore.types import PSVersion

# plausible WS2022 behaviour: Windows PowerShell 5.1 on build 20348 (Windows Server 2022), fully patched.
PS_VERSION = "5.1.20348.2849"
BUILD_VERSION = "10.0.20348.2849"


def application_private_data() -> dict[str, Any]:
    """The PSVersionTable of Windows PowerShell 5.1 on Windows Server 2022, as the default endpoint sends it."""
    return {
        "PSVersionTable": {
            "PSVersion": PSVersion(PS_VERSION),
            "PSEdition": "Desktop",
            "PSCompatibleVersions": [PSVersion(v) for v in ("1.0", "2.0", "3.0", "4.0", "5.0", PS_VERSION)],
            "CLRVersion": PSVersion("4.0.30319.42000"),
            "BuildVersion": PSVersion(BUILD_VERSION),
            "WSManStackVersion": PSVersion("3.0"),
            "PSRemotingProtocolVersion": PSVersion("2.3"),
            "SerializationVersion": PSVersion("1.1.0.1"),
        }
    }
