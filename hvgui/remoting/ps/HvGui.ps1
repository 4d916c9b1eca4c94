# hvgui host module
#
# Functions hvgui loads once into every runspace pool it opens on a Hyper-V host. The client sends this
# text unchanged (dot-sourced, so the functions persist in the pool) and then calls the functions by name.
# Values from the client only ever arrive as parameters: nothing here builds script text from data.
#
# Written for Windows PowerShell 5.1 (the default remoting endpoint) and PowerShell 7. Only documented
# cmdlets with documented parameter sets are used; tests/remoting/test_host_module_static.py checks that.
# Keep the text ASCII and free of profile-dependent aliases (no '%', '?', 'select', ...).

function Get-HvGuiInventory {
    <#
    .SYNOPSIS
    Every VM of this host with the state of its integration services, as one compact JSON string.

    .DESCRIPTION
    Fourteen bulk CIM queries of root/virtualization/v2, whatever the number of VMs: the summary
    information of every VM, the realized settings of every VM, and the setting data and the runtime
    device of each of the six integration components. No cmdlet or WMI read per VM (Get-VM and
    Get-VMIntegrationService read WMI about ten times per VM), each query with a property list and
    -OperationTimeoutSec, the joins in dictionaries filled by foreach. The client parses one string
    instead of deserializing about a hundred properties per VM object. Enums travel as integers; text
    the host localizes (service names, status descriptions) is passed through as is, because the
    client matches services by their GUID.

    Schema version 3 (version 2 with "boot" in place of "up", read from CIM the way the Hyper-V module
    computes them): {"v":3,"host":...,"vms":[{"id","name","state","hb","status","boot","cpu","mem","gen","ver","cp","cl",
    "os","osv","ptype","ic":[{"id","name","on","p","s","pt","st"}]}]}.
    id: VM GUID, lower case. state: VMState (EnabledState, as its *Critical member when HealthState is
    not OK). hb: VMHeartbeatStatus from Heartbeat and ApplicationHealth, null when Off. status:
    StatusDescriptions[1] if not empty, else [0]. boot: when the VM started, in whole Unix seconds
    (UTC): the host's clock when the summaries were read, less UpTime (milliseconds; paused time not
    counted); null while UpTime is 0 (not running). An uptime changes on every call and would make every
    running VM news on every refresh; a boot time changes only when the VM starts, and the client derives
    the uptime from it. cpu: ProcessorLoad. mem: MemoryUsage (MB) in bytes. gen: 2 for VirtualSystemSubType
    'Microsoft:Hyper-V:SubType:2', else 1. ver: Version. cp: UserSnapshotType (= CheckpointType).
    cl: the host-only KVP item VirtualMachineIsClustered exists. os, osv, ptype: OSName, OSVersion and
    the number of ProductType from the guest's intrinsic KVP items, null while the guest reports
    nothing. ic: one entry per setting data in the order GuestServiceInterface, Heartbeat, KvpExchange,
    Shutdown, TimeSync, Vss; id: the component GUID (upper case); on: EnabledState is 2; p, s, pt, st:
    OperationalStatus[0..1] and StatusDescriptions[0..1] of the runtime device, null and "" while the
    VM does not run. Rows are in the host's enumeration order.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param()

    $ns = 'root/virtualization/v2'
    $timeoutSec = 30
    $summaryProperties = @('Name', 'ElementName', 'EnabledState', 'HealthState', 'Heartbeat', 'ApplicationHealth', 'ProcessorLoad', 'MemoryUsage', 'UpTime', 'StatusDescriptions', 'Version', 'VirtualSystemSubType')
    $settingProperties = @('InstanceID', 'ElementName', 'EnabledState')
    $deviceProperties = @('DeviceID', 'OperationalStatus', 'StatusDescriptions')

    # A host that cannot list its VMs (VMMS stopped, access denied, a time-out) must fail the call, not
    # answer an empty list: the client would take that as "every VM was deleted". So every query stops
    # the function when it fails.
    $summaries = @(Get-CimInstance -Namespace $ns -ClassName 'Msvm_SummaryInformation' -Property $summaryProperties -OperationTimeoutSec $timeoutSec -ErrorAction Stop)
    # The moment the uptimes were read, for the boot times (see "boot" above).
    $readAtMs = [double][DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds()
    $realized = @(Get-CimInstance -Namespace $ns -ClassName 'Msvm_VirtualSystemSettingData' -Filter "VirtualSystemType = 'Microsoft:Hyper-V:System:Realized'" -Property 'InstanceID', 'VirtualSystemIdentifier', 'UserSnapshotType' -OperationTimeoutSec $timeoutSec -ErrorAction Stop)

    # Setting data (always there, also for each checkpoint) and runtime devices (only while the VM runs),
    # one query per class, keyed by component GUID in the order the rows list them.
    $order = @('6C09BB55-D683-4DA0-8931-C9BF705F6480', '84EAAE65-2F2E-45F5-9BB5-0E857DC8EB47', '2A34B1C2-FD73-4043-8A5B-DD2159BC743F', '9F8233AC-BE49-4C79-8EE3-E7E1985B2077', '2497F4DE-E9FA-4204-80E4-4B75C46419C0', '5CED1297-4598-4915-A5FC-AD21BB4D02A4')
    $settings = @{}
    $settings[$order[0]] = @(Get-CimInstance -Namespace $ns -ClassName 'Msvm_GuestServiceInterfaceComponentSettingData' -Property $settingProperties -OperationTimeoutSec $timeoutSec -ErrorAction Stop)
    $settings[$order[1]] = @(Get-CimInstance -Namespace $ns -ClassName 'Msvm_HeartbeatComponentSettingData' -Property $settingProperties -OperationTimeoutSec $timeoutSec -ErrorAction Stop)
    $settings[$order[2]] = @(Get-CimInstance -Namespace $ns -ClassName 'Msvm_KvpExchangeComponentSettingData' -Property 'InstanceID', 'ElementName', 'EnabledState', 'HostOnlyItems' -OperationTimeoutSec $timeoutSec -ErrorAction Stop)
    $settings[$order[3]] = @(Get-CimInstance -Namespace $ns -ClassName 'Msvm_ShutdownComponentSettingData' -Property $settingProperties -OperationTimeoutSec $timeoutSec -ErrorAction Stop)
    $settings[$order[4]] = @(Get-CimInstance -Namespace $ns -ClassName 'Msvm_TimeSyncComponentSettingData' -Property $settingProperties -OperationTimeoutSec $timeoutSec -ErrorAction Stop)
    $settings[$order[5]] = @(Get-CimInstance -Namespace $ns -ClassName 'Msvm_VssComponentSettingData' -Property $settingProperties -OperationTimeoutSec $timeoutSec -ErrorAction Stop)
    $devices = [System.Collections.Generic.List[object]]::new()
    $devices.AddRange(@(Get-CimInstance -Namespace $ns -ClassName 'Msvm_GuestServiceInterfaceComponent' -Property $deviceProperties -OperationTimeoutSec $timeoutSec -ErrorAction Stop))
    $devices.AddRange(@(Get-CimInstance -Namespace $ns -ClassName 'Msvm_HeartbeatComponent' -Property $deviceProperties -OperationTimeoutSec $timeoutSec -ErrorAction Stop))
    $kvpDevices = @(Get-CimInstance -Namespace $ns -ClassName 'Msvm_KvpExchangeComponent' -Property 'DeviceID', 'OperationalStatus', 'StatusDescriptions', 'GuestIntrinsicExchangeItems' -OperationTimeoutSec $timeoutSec -ErrorAction Stop)
    $devices.AddRange($kvpDevices)
    $devices.AddRange(@(Get-CimInstance -Namespace $ns -ClassName 'Msvm_ShutdownComponent' -Property $deviceProperties -OperationTimeoutSec $timeoutSec -ErrorAction Stop))
    $devices.AddRange(@(Get-CimInstance -Namespace $ns -ClassName 'Msvm_TimeSyncComponent' -Property $deviceProperties -OperationTimeoutSec $timeoutSec -ErrorAction Stop))
    $devices.AddRange(@(Get-CimInstance -Namespace $ns -ClassName 'Msvm_VssComponent' -Property $deviceProperties -OperationTimeoutSec $timeoutSec -ErrorAction Stop))

    # Ids are "Microsoft:<owner GUID>\<component GUID>"; keys are upper case.
    $separators = [char[]]@(':', '\')
    $vmIds = @{}
    foreach ($summary in $summaries) {
        $vmIds[([string]$summary.Name).ToUpperInvariant()] = $true
    }
    $checkpointTypeByVm = @{}
    foreach ($setting in $realized) {
        if ($null -ne $setting.UserSnapshotType) {
            $checkpointTypeByVm[([string]$setting.VirtualSystemIdentifier).ToUpperInvariant()] = [int]$setting.UserSnapshotType
        }
    }
    $deviceById = @{}
    foreach ($device in $devices) {
        $parts = ([string]$device.DeviceID).Split($separators)
        if ($parts.Count -ge 3) {
            $deviceById[$parts[1].ToUpperInvariant() + '\' + $parts[2].ToUpperInvariant()] = $device
        }
    }
    # Setting rows of checkpoints carry the checkpoint's id instead of a VM's: only VMs' rows are kept.
    $servicesByVm = @{}
    $clusteredVms = @{}
    foreach ($guid in $order) {
        foreach ($setting in $settings[$guid]) {
            $parts = ([string]$setting.InstanceID).Split($separators)
            if ($parts.Count -lt 3) {
                continue
            }
            $owner = $parts[1].ToUpperInvariant()
            if (-not $vmIds.ContainsKey($owner)) {
                continue
            }
            $component = $parts[2].ToUpperInvariant()
            $statuses = @()
            $texts = @()
            $device = $deviceById[$owner + '\' + $component]
            if ($null -ne $device -and $null -ne $device.OperationalStatus) {
                $statuses = @($device.OperationalStatus)
            }
            if ($null -ne $device -and $null -ne $device.StatusDescriptions) {
                $texts = @($device.StatusDescriptions)
            }
            if (-not $servicesByVm.ContainsKey($owner)) {
                $servicesByVm[$owner] = [System.Collections.Generic.List[object]]::new()
            }
            $servicesByVm[$owner].Add([pscustomobject]@{
                    id   = $component
                    name = [string]$setting.ElementName
                    on   = ($null -ne $setting.EnabledState -and [int]$setting.EnabledState -eq 2)
                    p    = if ($statuses.Count -gt 0) { [int]$statuses[0] } else { $null }
                    s    = if ($statuses.Count -gt 1) { [int]$statuses[1] } else { $null }
                    pt   = if ($texts.Count -gt 0) { [string]$texts[0] } else { '' }
                    st   = if ($texts.Count -gt 1) { [string]$texts[1] } else { '' }
                })
            # A clustered VM carries the host-only KVP item VirtualMachineIsClustered (how the Hyper-V
            # module's IsClustered decides). Items are embedded-instance XML, read with constant XPath.
            if ($null -ne $setting.HostOnlyItems) {
                foreach ($item in @($setting.HostOnlyItems)) {
                    if ([string]::IsNullOrEmpty($item) -or $item.IndexOf('VirtualMachineIsClustered', [System.StringComparison]::OrdinalIgnoreCase) -lt 0) {
                        continue
                    }
                    try {
                        $document = [xml]$item
                    }
                    catch {
                        continue
                    }
                    $nameNode = $document.SelectSingleNode("/INSTANCE/PROPERTY[@NAME='Name']/VALUE")
                    if ($null -ne $nameNode -and $nameNode.InnerText.Trim() -eq 'VirtualMachineIsClustered') {
                        $clusteredVms[$owner] = $true
                    }
                }
            }
        }
    }

    # What each running guest reports about itself (guest intrinsic KVP items), keyed by VM id. The items
    # are embedded-instance XML, parsed as XML documents and read with constant XPath queries, so nothing
    # a guest writes is ever interpreted as script.
    $wantedItems = @('OSName', 'OSVersion', 'ProductType')
    $guestByVm = @{}
    foreach ($kvp in $kvpDevices) {
        $parts = ([string]$kvp.DeviceID).Split($separators)
        if ($parts.Count -lt 3 -or $null -eq $kvp.GuestIntrinsicExchangeItems) {
            continue
        }
        $facts = @{}
        foreach ($item in @($kvp.GuestIntrinsicExchangeItems)) {
            if ([string]::IsNullOrEmpty($item)) {
                continue
            }
            # A guest reports about twenty items and three are wanted: a plain substring test spares parsing
            # the others (the XPath below still decides what an item is).
            if ($item.IndexOf('OSName', [System.StringComparison]::Ordinal) -lt 0 -and
                $item.IndexOf('OSVersion', [System.StringComparison]::Ordinal) -lt 0 -and
                $item.IndexOf('ProductType', [System.StringComparison]::Ordinal) -lt 0) {
                continue
            }
            try {
                $document = [xml]$item
            }
            catch {
                continue
            }
            $nameNode = $document.SelectSingleNode("/INSTANCE/PROPERTY[@NAME='Name']/VALUE")
            $dataNode = $document.SelectSingleNode("/INSTANCE/PROPERTY[@NAME='Data']/VALUE")
            if ($null -eq $nameNode -or $null -eq $dataNode) {
                continue
            }
            # Values are trimmed: some guests end a value with a line feed.
            $itemName = $nameNode.InnerText.Trim()
            if ($wantedItems -contains $itemName) {
                $facts[$itemName] = $dataNode.InnerText.Trim()
            }
        }
        $guestByVm[$parts[1].ToUpperInvariant()] = $facts
    }

    # EnabledState -> the *Critical VMState the module reports when HealthState is not OK (5).
    $criticalStates = @{ 2 = 32785; 3 = 32786; 4 = 32787; 6 = 32788; 9 = 32789; 10 = 32790; 11 = 32791; 32773 = 32792; 32776 = 32793; 32777 = 32794; 32779 = 32795; 32780 = 32796 }

    # Generic lists, not arrays: Windows PowerShell 5.1 serializes a wrapped System.Array as
    # {"value":[...],"Count":n} because of the ETS Count property; a List<object> is always a JSON array.
    $rows = [System.Collections.Generic.List[object]]::new()
    foreach ($summary in $summaries) {
        $vmKey = ([string]$summary.Name).ToUpperInvariant()
        $state = [int]$summary.EnabledState
        if ($null -ne $summary.HealthState -and [int]$summary.HealthState -ne 5 -and $criticalStates.ContainsKey($state)) {
            $state = $criticalStates[$state]
        }
        $heartbeat = $null
        if ($state -ne 3) {
            switch ([int]$summary.Heartbeat) {
                2 {
                    $heartbeat = 5
                    if ($null -ne $summary.ApplicationHealth -and [int]$summary.ApplicationHealth -eq 2) {
                        $heartbeat = 6
                    }
                    elseif ($null -ne $summary.ApplicationHealth -and [int]$summary.ApplicationHealth -eq 32782) {
                        $heartbeat = 7
                    }
                }
                6 { $heartbeat = 3 }
                12 { $heartbeat = 2 }
                13 { $heartbeat = 4 }
                15 { $heartbeat = 8 }
                32896 { $heartbeat = 1 }
                default { $heartbeat = 0 }
            }
        }
        $status = ''
        if ($null -ne $summary.StatusDescriptions) {
            $descriptions = @($summary.StatusDescriptions)
            if ($descriptions.Count -gt 1 -and -not [string]::IsNullOrEmpty($descriptions[1])) {
                $status = [string]$descriptions[1]
            }
            elseif ($descriptions.Count -gt 0) {
                $status = [string]$descriptions[0]
            }
        }
        $boot = $null
        if ($null -ne $summary.UpTime -and [double]$summary.UpTime -gt 0) {
            $boot = [int64][System.Math]::Floor(($readAtMs - [double]$summary.UpTime) / 1000)
        }
        $osName = $null
        $osVersion = $null
        $productType = $null
        if ($guestByVm.ContainsKey($vmKey)) {
            $facts = $guestByVm[$vmKey]
            if (-not [string]::IsNullOrEmpty($facts['OSName'])) {
                $osName = $facts['OSName']
            }
            if (-not [string]::IsNullOrEmpty($facts['OSVersion'])) {
                $osVersion = $facts['OSVersion']
            }
            $number = 0
            if ([int]::TryParse([string]$facts['ProductType'], [ref]$number)) {
                $productType = $number
            }
        }
        $services = $servicesByVm[$vmKey]
        if ($null -eq $services) {
            $services = [System.Collections.Generic.List[object]]::new()
        }
        $rows.Add([pscustomobject]@{
                id     = $vmKey.ToLowerInvariant()
                name   = [string]$summary.ElementName
                state  = $state
                hb     = $heartbeat
                status = $status
                boot   = $boot
                cpu    = [int]$summary.ProcessorLoad
                mem    = [int64]$summary.MemoryUsage * 1048576
                gen    = if ([string]$summary.VirtualSystemSubType -eq 'Microsoft:Hyper-V:SubType:2') { 2 } else { 1 }
                ver    = [string]$summary.Version
                cp     = $checkpointTypeByVm[$vmKey]
                cl     = $clusteredVms.ContainsKey($vmKey)
                os     = $osName
                osv    = $osVersion
                ptype  = $productType
                ic     = $services
            })
    }

    $inventory = [pscustomobject]@{
        v    = 3
        host = [string]$env:COMPUTERNAME
        vms  = $rows
    }
    ConvertTo-Json -InputObject $inventory -Depth 5 -Compress
}


function Set-HvGuiIntegrationService {
    <#
    .SYNOPSIS
    Enables or disables one integration service of one VM, found by its integration-component GUID.

    .DESCRIPTION
    Hosts report service names in their installation language (a German host says 'Zeitsynchronisierung'),
    so the client names the service by the GUID at the end of its Id instead. The VM is found by its id.
    Errors of Enable-/Disable-VMIntegrationService stay non-terminating and reach the client as they are;
    a VM that does not exist fails the call with Get-VM's own error. No output on success.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [Guid]
        $VMId,

        [Parameter(Mandatory = $true)]
        [string]
        $ComponentId,

        [Parameter(Mandatory = $true)]
        [bool]
        $Enabled
    )

    $vm = Get-VM -Id $VMId -ErrorAction Stop
    # The GUID is matched literally: wildcard characters in the argument are escaped, never interpreted.
    $literalId = [System.Management.Automation.WildcardPattern]::Escape($ComponentId)
    $pattern = '*\' + $literalId
    $components = @(Get-VMIntegrationService -VM $vm | Where-Object { $_.Id -like $pattern })
    if ($components.Count -eq 0) {
        # No component has that GUID: let the module report it in its own words and language ("No
        # integration component with the given name could be found.", InvalidParameter). The pattern
        # holds a backslash, which no service name does, so this changes nothing (the bare id could: a
        # ComponentId of 'Heartbeat' would name the Heartbeat service).
        if ($Enabled) {
            Enable-VMIntegrationService -VM $vm -Name $pattern -Confirm:$false
        }
        else {
            Disable-VMIntegrationService -VM $vm -Name $pattern -Confirm:$false
        }
        return
    }
    if ($Enabled) {
        Enable-VMIntegrationService -VMIntegrationService $components -Confirm:$false
    }
    else {
        Disable-VMIntegrationService -VMIntegrationService $components -Confirm:$false
    }
}

# --- copying files of the admin's computer into a guest -----------------------------------------------------
#
# Copy-VMFile copies only a file that is already on the host. hvgui streams each file into a staging folder
# on the host first (%ProgramData%\hvgui\staging\<transfer id>.part), in chunks passed as [byte[]]
# parameters, checks its length and SHA-256 there, hands it to Copy-VMFile and removes it. The transfer id
# is a GUID the client makes per file; paths are built from it here, never from client text.

function Get-HvGuiCopyTarget {
    <#
    .SYNOPSIS
    What a copy into one VM needs to know before any byte is sent, as one compact JSON string.

    .DESCRIPTION
    {"state":<VMState as integer>,"gsi":<Guest Service Interface enabled, null if the VM has none>,
    "gsiStatus":<its PrimaryOperationalStatus as integer, null while the VM does not run>,
    "gsiText":<its PrimaryStatusDescription>,"staging":<the staging folder>,"free":<bytes free on its volume>}.
    The staging folder is created when missing.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory = $true)]
        [Guid]
        $VMId
    )

    $vm = Get-VM -Id $VMId -ErrorAction Stop
    $gsiPattern = '*\6C09BB55-D683-4DA0-8931-C9BF705F6480'
    $gsi = @(Get-VMIntegrationService -VM $vm | Where-Object { $_.Id -like $gsiPattern })
    $folder = [System.IO.Path]::Combine([System.Environment]::GetFolderPath('CommonApplicationData'), 'hvgui', 'staging')
    [void][System.IO.Directory]::CreateDirectory($folder)
    $drive = [System.IO.DriveInfo]::new([System.IO.Path]::GetPathRoot($folder))
    $report = [ordered]@{
        state     = [int]$vm.State
        gsi       = $null
        gsiStatus = $null
        gsiText   = ''
        staging   = $folder
        free      = [long]$drive.AvailableFreeSpace
    }
    if ($gsi.Count -gt 0) {
        $report.gsi = [bool]$gsi[0].Enabled
        if ($null -ne $gsi[0].PrimaryOperationalStatus) {
            $report.gsiStatus = [int]$gsi[0].PrimaryOperationalStatus
        }
        $report.gsiText = [string]$gsi[0].PrimaryStatusDescription
    }
    ConvertTo-Json -InputObject $report -Compress
}

function Write-HvGuiStagedChunk {
    <#
    .SYNOPSIS
    Writes one chunk of a staged file at an offset and returns the file's new length.

    .DESCRIPTION
    The staged file becomes its first Offset bytes followed by Data (created when missing; an empty Data
    creates an empty file). An offset past its end fails: a staged file never has holes. A client that
    lost its connection asks Get-HvGuiStagedFile for the length and goes on from there. A full volume fails
    with .NET's own IOException ("There is not enough space on the disk.").
    #>
    [CmdletBinding()]
    [OutputType([long])]
    param(
        [Parameter(Mandatory = $true)]
        [Guid]
        $TransferId,

        [Parameter(Mandatory = $true)]
        [long]
        $Offset,

        [Parameter(Mandatory = $true)]
        [AllowEmptyCollection()]
        [byte[]]
        $Data
    )

    $ErrorActionPreference = 'Stop'
    $folder = [System.IO.Path]::Combine([System.Environment]::GetFolderPath('CommonApplicationData'), 'hvgui', 'staging')
    [void][System.IO.Directory]::CreateDirectory($folder)
    $path = [System.IO.Path]::Combine($folder, $TransferId.ToString('D') + '.part')
    $stream = [System.IO.FileStream]::new($path, [System.IO.FileMode]::OpenOrCreate, [System.IO.FileAccess]::Write, [System.IO.FileShare]::None)
    try {
        if ($Offset -gt $stream.Length) {
            throw "hvgui: the staged file holds $($stream.Length) bytes; a chunk at offset $Offset would leave a gap."
        }
        $stream.SetLength($Offset)
        $stream.Position = $Offset
        $stream.Write($Data, 0, $Data.Length)
        $stream.Flush()
        [long]$stream.Length
    }
    finally {
        $stream.Dispose()
    }
}

function Get-HvGuiStagedFile {
    <#
    .SYNOPSIS
    What is staged for one transfer, as one compact JSON string: {"exists","length","sha256"}.

    .DESCRIPTION
    sha256 (upper-case hex) is computed only with -Sha256, and is null otherwise or when nothing is staged.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory = $true)]
        [Guid]
        $TransferId,

        [switch]
        $Sha256
    )

    $ErrorActionPreference = 'Stop'
    $folder = [System.IO.Path]::Combine([System.Environment]::GetFolderPath('CommonApplicationData'), 'hvgui', 'staging')
    $path = [System.IO.Path]::Combine($folder, $TransferId.ToString('D') + '.part')
    $info = [System.IO.FileInfo]::new($path)
    $report = [ordered]@{ exists = $info.Exists; length = [long]0; sha256 = $null }
    if ($info.Exists) {
        $report.length = [long]$info.Length
        if ($Sha256) {
            $stream = [System.IO.File]::OpenRead($path)
            $hasher = [System.Security.Cryptography.SHA256]::Create()
            try {
                $report.sha256 = [System.BitConverter]::ToString($hasher.ComputeHash($stream)).Replace('-', '')
            }
            finally {
                $hasher.Dispose()
                $stream.Dispose()
            }
        }
    }
    ConvertTo-Json -InputObject $report -Compress
}

function Remove-HvGuiStagedFile {
    <#
    .SYNOPSIS
    Removes what is staged for one transfer; nothing happens when nothing is staged.

    .DESCRIPTION
    A copy into a guest stages one file (staging\<TransferId>.part); a copy out of a guest stages a folder
    (staging\<TransferId>\), removed with everything in it.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [Guid]
        $TransferId
    )

    $ErrorActionPreference = 'Stop'
    $folder = [System.IO.Path]::Combine([System.Environment]::GetFolderPath('CommonApplicationData'), 'hvgui', 'staging')
    [System.IO.File]::Delete([System.IO.Path]::Combine($folder, $TransferId.ToString('D') + '.part'))
    $tree = [System.IO.Path]::Combine($folder, $TransferId.ToString('D'))
    if ([System.IO.Directory]::Exists($tree)) {
        [System.IO.Directory]::Delete($tree, $true)
    }
}

function Read-HvGuiStagedChunk {
    <#
    .SYNOPSIS
    Reads one chunk of a file staged for a copy out of a guest and returns it as one byte array.

    .DESCRIPTION
    A copy out of a guest stages its files under the transfer's own folder (staging\<TransferId>\);
    RelativePath names one of them, as the staging step reported it. A path that leads out of that folder
    (rooted, or climbing with ..) is refused. The answer holds at most Length bytes from Offset, fewer at
    the end of the file. At its very end (a zero-byte file at offset 0) there is no output at all: an empty
    array serializes as an empty <BA/>, which pypsrp cannot read. An offset past the end fails. A missing
    file fails with .NET's own FileNotFoundException.
    #>
    [CmdletBinding()]
    [OutputType([byte[]])]
    param(
        [Parameter(Mandatory = $true)]
        [Guid]
        $TransferId,

        [Parameter(Mandatory = $true)]
        [string]
        $RelativePath,

        [Parameter(Mandatory = $true)]
        [long]
        $Offset,

        [Parameter(Mandatory = $true)]
        [int]
        $Length
    )

    $ErrorActionPreference = 'Stop'
    if ($Length -lt 1) {
        throw "hvgui: a chunk is at least one byte long."
    }
    $folder = [System.IO.Path]::Combine([System.Environment]::GetFolderPath('CommonApplicationData'), 'hvgui', 'staging')
    $root = [System.IO.Path]::Combine($folder, $TransferId.ToString('D'))
    $path = [System.IO.Path]::GetFullPath([System.IO.Path]::Combine($root, $RelativePath))
    if ([System.IO.Path]::IsPathRooted($RelativePath) -or -not $path.StartsWith($root + '\', [System.StringComparison]::OrdinalIgnoreCase)) {
        throw "hvgui: the path is not inside the transfer's staging folder."
    }
    $stream = [System.IO.File]::OpenRead($path)
    try {
        if ($Offset -gt $stream.Length) {
            throw "hvgui: the staged file holds $($stream.Length) bytes; there is nothing to read at offset $Offset."
        }
        $buffer = [byte[]]::new([System.Math]::Min([long]$Length, $stream.Length - $Offset))
        $stream.Position = $Offset
        $read = 0
        while ($read -lt $buffer.Length) {
            $count = $stream.Read($buffer, $read, $buffer.Length - $read)
            if ($count -eq 0) {
                throw "hvgui: the staged file ended while it was read."
            }
            $read += $count
        }
        if ($buffer.Length -gt 0) {
            , $buffer
        }
    }
    finally {
        $stream.Dispose()
    }
}

function Copy-HvGuiStagedFileToGuest {
    <#
    .SYNOPSIS
    Copies a staged file into the guest of one VM through the Guest Service Interface (Copy-VMFile).

    .DESCRIPTION
    DestinationPath is the full path of the file in the guest. The VM is found by its id and handed to
    Copy-VMFile's VM-object parameter set. Copy-VMFile's errors (the file exists without -Force, the folder
    is missing without -CreateFullPath, the service is disabled, the VM is not running) stay
    non-terminating and reach the client as they are. No output on success.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [Guid]
        $VMId,

        [Parameter(Mandatory = $true)]
        [Guid]
        $TransferId,

        [Parameter(Mandatory = $true)]
        [string]
        $DestinationPath,

        [switch]
        $CreateFullPath,

        [switch]
        $Force
    )

    $vm = Get-VM -Id $VMId -ErrorAction Stop
    $folder = [System.IO.Path]::Combine([System.Environment]::GetFolderPath('CommonApplicationData'), 'hvgui', 'staging')
    $path = [System.IO.Path]::Combine($folder, $TransferId.ToString('D') + '.part')
    Copy-VMFile -VM $vm -SourcePath $path -DestinationPath $DestinationPath -FileSource Host -CreateFullPath:$CreateFullPath -Force:$Force -Confirm:$false
}

function Copy-HvGuiGuestItemToStaging {
    <#
    .SYNOPSIS
    Copies a file or folder out of a running Windows guest into the transfer's staging folder (PowerShell
    Direct) and reports the staged files as one compact JSON string: {"files":[{"path","length","sha256"}]}.

    .DESCRIPTION
    New-PSSession signs in to the guest with Credential; Copy-Item -FromSession copies Path (literally: no
    wildcards; a folder with everything in it) into staging\<TransferId>\; the session is removed whatever
    happened. Each staged file is reported with its path relative to that folder, its length and its SHA-256
    (upper-case hex), so the client can read it back with Read-HvGuiStagedChunk and verify it. The errors of
    New-PSSession (a wrong account, a guest that cannot host PowerShell Direct, a VM that is off) and of
    Copy-Item (a missing guest path) end the function and reach the client as they are; what was staged
    stays until Remove-HvGuiStagedFile.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory = $true)]
        [Guid]
        $VMId,

        [Parameter(Mandatory = $true)]
        [System.Management.Automation.PSCredential]
        $Credential,

        [Parameter(Mandatory = $true)]
        [string]
        $Path,

        [Parameter(Mandatory = $true)]
        [Guid]
        $TransferId
    )

    $ErrorActionPreference = 'Stop'
    $folder = [System.IO.Path]::Combine([System.Environment]::GetFolderPath('CommonApplicationData'), 'hvgui', 'staging')
    $root = [System.IO.Path]::Combine($folder, $TransferId.ToString('D'))
    [void][System.IO.Directory]::CreateDirectory($root)
    $session = New-PSSession -VMId $VMId -Credential $Credential -ErrorAction Stop
    try {
        Copy-Item -FromSession $session -LiteralPath $Path -Destination $root -Recurse -ErrorAction Stop
    }
    finally {
        Remove-PSSession -Session $session
    }
    $files = [System.Collections.Generic.List[object]]::new()
    foreach ($file in [System.IO.Directory]::GetFiles($root, '*', [System.IO.SearchOption]::AllDirectories)) {
        $stream = [System.IO.File]::OpenRead($file)
        $hasher = [System.Security.Cryptography.SHA256]::Create()
        try {
            $sha256 = [System.BitConverter]::ToString($hasher.ComputeHash($stream)).Replace('-', '')
            $length = [long]$stream.Length
        }
        finally {
            $hasher.Dispose()
            $stream.Dispose()
        }
        $files.Add([ordered]@{ path = $file.Substring($root.Length + 1); length = $length; sha256 = $sha256 })
    }
    ConvertTo-Json -InputObject ([ordered]@{ files = $files.ToArray() }) -Depth 4 -Compress
}
