"""The WinRM service configuration (`cfg:Config`) a client reads with a Get on the config resource.

pypsrp's `update_max_payload_size()` reads `MaxEnvelopeSizekb` from it and has no fallback, so the
document is served in full, copied from a recorded Windows Server reply.
"""

from __future__ import annotations

from hvgui.emulator.wsman import namespaces as ns

MAX_ENVELOPE_SIZE_KB = 500  # the default since Windows Server 2012
MAX_TIMEOUT_MS = 60000

_CONFIG_TEMPLATE = (
    '<cfg:Config xmlns:cfg="{ns}"><cfg:MaxEnvelopeSizekb>{max_env}</cfg:MaxEnvelopeSizekb>'
    "<cfg:MaxTimeoutms>{max_timeout}</cfg:MaxTimeoutms><cfg:MaxBatchItems>32000</cfg:MaxBatchItems>"
    "<cfg:MaxProviderRequests>4294967295</cfg:MaxProviderRequests><cfg:Client><cfg:NetworkDelayms>5000"
    "</cfg:NetworkDelayms><cfg:URLPrefix>wsman</cfg:URLPrefix><cfg:AllowUnencrypted>false</cfg:AllowUnencrypted>"
    "<cfg:Auth><cfg:Basic>true</cfg:Basic><cfg:Digest>true</cfg:Digest><cfg:Kerberos>true</cfg:Kerberos>"
    "<cfg:Negotiate>true</cfg:Negotiate><cfg:Certificate>true</cfg:Certificate><cfg:CredSSP>false</cfg:CredSSP>"
    "</cfg:Auth><cfg:DefaultPorts><cfg:HTTP>5985</cfg:HTTP><cfg:HTTPS>5986</cfg:HTTPS></cfg:DefaultPorts>"
    "<cfg:TrustedHosts></cfg:TrustedHosts></cfg:Client><cfg:Service><cfg:RootSDDL>"
    "O:NSG:BAD:P(A;;GA;;;BA)(A;;GR;;;IU)S:P(AU;FA;GA;;;WD)(AU;SA;GXGW;;;WD)</cfg:RootSDDL>"
    "<cfg:MaxConcurrentOperations>4294967295</cfg:MaxConcurrentOperations>"
    "<cfg:MaxConcurrentOperationsPerUser>1500</cfg:MaxConcurrentOperationsPerUser>"
    "<cfg:EnumerationTimeoutms>240000</cfg:EnumerationTimeoutms><cfg:MaxConnections>300</cfg:MaxConnections>"
    "<cfg:MaxPacketRetrievalTimeSeconds>120</cfg:MaxPacketRetrievalTimeSeconds>"
    "<cfg:AllowUnencrypted>{allow_unencrypted}</cfg:AllowUnencrypted><cfg:Auth><cfg:Basic>true</cfg:Basic>"
    "<cfg:Kerberos>true</cfg:Kerberos><cfg:Negotiate>true</cfg:Negotiate><cfg:Certificate>false</cfg:Certificate>"
    "<cfg:CredSSP>false</cfg:CredSSP><cfg:CbtHardeningLevel>Relaxed</cfg:CbtHardeningLevel></cfg:Auth>"
    "<cfg:DefaultPorts><cfg:HTTP>5985</cfg:HTTP><cfg:HTTPS>5986</cfg:HTTPS></cfg:DefaultPorts>"
    "<cfg:IPv4Filter>*</cfg:IPv4Filter><cfg:IPv6Filter>*</cfg:IPv6Filter>"
    "<cfg:EnableCompatibilityHttpListener>false</cfg:EnableCompatibilityHttpListener>"
    "<cfg:EnableCompatibilityHttpsListener>false</cfg:EnableCompatibilityHttpsListener>"
    "<cfg:CertificateThumbprint></cfg:CertificateThumbprint><cfg:AllowRemoteAccess>true</cfg:AllowRemoteAccess>"
    "</cfg:Service><cfg:Winrs><cfg:AllowRemoteShellAccess>true</cfg:AllowRemoteShellAccess>"
    "<cfg:IdleTimeout>7200000</cfg:IdleTimeout><cfg:MaxConcurrentUsers>2147483647</cfg:MaxConcurrentUsers>"
    "<cfg:MaxShellRunTime>2147483647</cfg:MaxShellRunTime>"
    "<cfg:MaxProcessesPerShell>2147483647</cfg:MaxProcessesPerShell>"
    "<cfg:MaxMemoryPerShellMB>2147483647</cfg:MaxMemoryPerShellMB>"
    "<cfg:MaxShellsPerUser>2147483647</cfg:MaxShellsPerUser></cfg:Winrs></cfg:Config>"
)


def config_document(*, allow_unencrypted: bool) -> str:
    """`cfg:Config` as a Windows Server 2022 host with default WinRM settings answers it.

    `allow_unencrypted` reflects the emulated listener: Basic over plain HTTP only works against a host
    configured with AllowUnencrypted=true, so an HTTP emulator reports that.
    """
    return _CONFIG_TEMPLATE.format(
        ns=ns.CONFIG,
        max_env=MAX_ENVELOPE_SIZE_KB,
        max_timeout=MAX_TIMEOUT_MS,
        allow_unencrypted="true" if allow_unencrypted else "false",
    )
