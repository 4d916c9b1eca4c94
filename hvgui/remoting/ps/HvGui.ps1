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
    Fifteen bulk CIM queries of root/virtualization/v2, whatever the number of VMs: the summary
    information of every VM, the realized settings of every VM and of every checkpoint, and the setting
    data and the runtime
    device of each of the six integration components. No cmdlet or WMI read per VM (Get-VM and
    Get-VMIntegrationService read WMI about ten times per VM), each query with a property list and
    -OperationTimeoutSec, the joins in dictionaries filled by foreach. The client parses one string
    instead of deserializing about a hundred properties per VM object. Enums travel as integers; text
    the host localizes (service names, status descriptions) is passed through as is, because the
    client matches services by their GUID.

    Schema version 3 (version 2 with "boot" in place of "up", read from CIM the way the Hyper-V module
    computes them): {"v":3,"host":...,"vms":[{"id","name","state","hb","status","boot","cpu","mem","gen","ver","cp","cl",
    "os","osv","ptype","dem","notes","snaps","isv","ic":[{"id","name","on","p","s","pt","st"}]}]}.
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
    nothing. dem: memory demand in bytes, MemoryUsage * (100 - MemoryAvailable) / 100 MB as the module
    computes it, null while MemoryAvailable is not valid (int.MaxValue: no dynamic memory or not running).
    notes: Notes. snaps: the number of the VM's checkpoints (settings of type Snapshot:Realized). isv: the
    guest's intrinsic KVP item IntegrationServicesVersion, null while the guest reports none (the module's
    own IntegrationServicesVersion is 0.0 on current hosts). ic: one entry per setting data in the order GuestServiceInterface, Heartbeat, KvpExchange,
    Shutdown, TimeSync, Vss; id: the component GUID (upper case); on: EnabledState is 2; p, s, pt, st:
    OperationalStatus[0..1] and StatusDescriptions[0..1] of the runtime device, null and "" while the
    VM does not run. Rows are in the host's enumeration order.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param()

    $ns = 'root/virtualization/v2'
    $timeoutSec = 30
    $summaryProperties = @('Name', 'ElementName', 'EnabledState', 'HealthState', 'Heartbeat', 'ApplicationHealth', 'ProcessorLoad', 'MemoryUsage', 'UpTime', 'StatusDescriptions', 'Version', 'VirtualSystemSubType', 'MemoryAvailable', 'Notes')
    $settingProperties = @('InstanceID', 'ElementName', 'EnabledState')
    $deviceProperties = @('DeviceID', 'OperationalStatus', 'StatusDescriptions')

    # A host that cannot list its VMs (VMMS stopped, access denied, a time-out) must fail the call, not
    # answer an empty list: the client would take that as "every VM was deleted". So every query stops
    # the function when it fails.
    $summaries = @(Get-CimInstance -Namespace $ns -ClassName 'Msvm_SummaryInformation' -Property $summaryProperties -OperationTimeoutSec $timeoutSec -ErrorAction Stop)
    # The moment the uptimes were read, for the boot times (see "boot" above).
    $readAtMs = [double][DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds()
    $realized = @(Get-CimInstance -Namespace $ns -ClassName 'Msvm_VirtualSystemSettingData' -Filter "VirtualSystemType = 'Microsoft:Hyper-V:System:Realized'" -Property 'InstanceID', 'VirtualSystemIdentifier', 'UserSnapshotType' -OperationTimeoutSec $timeoutSec -ErrorAction Stop)
    $snapshots = @(Get-CimInstance -Namespace $ns -ClassName 'Msvm_VirtualSystemSettingData' -Filter "VirtualSystemType = 'Microsoft:Hyper-V:Snapshot:Realized'" -Property 'InstanceID', 'VirtualSystemIdentifier' -OperationTimeoutSec $timeoutSec -ErrorAction Stop)

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
    $checkpointCountByVm = @{}
    foreach ($snapshot in $snapshots) {
        $owner = ([string]$snapshot.VirtualSystemIdentifier).ToUpperInvariant()
        $checkpointCountByVm[$owner] = 1 + [int]$checkpointCountByVm[$owner]
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
    $wantedItems = @('OSName', 'OSVersion', 'ProductType', 'IntegrationServicesVersion')
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
            # A guest reports about twenty items and four are wanted: a plain substring test spares parsing
            # the others (the XPath below still decides what an item is).
            if ($item.IndexOf('OSName', [System.StringComparison]::Ordinal) -lt 0 -and
                $item.IndexOf('OSVersion', [System.StringComparison]::Ordinal) -lt 0 -and
                $item.IndexOf('ProductType', [System.StringComparison]::Ordinal) -lt 0 -and
                $item.IndexOf('IntegrationServicesVersion', [System.StringComparison]::Ordinal) -lt 0) {
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
        $servicesVersion = $null
        if ($guestByVm.ContainsKey($vmKey)) {
            $facts = $guestByVm[$vmKey]
            if (-not [string]::IsNullOrEmpty($facts['OSName'])) {
                $osName = $facts['OSName']
            }
            if (-not [string]::IsNullOrEmpty($facts['OSVersion'])) {
                $osVersion = $facts['OSVersion']
            }
            if (-not [string]::IsNullOrEmpty($facts['IntegrationServicesVersion'])) {
                $servicesVersion = $facts['IntegrationServicesVersion']
            }
            $number = 0
            if ([int]::TryParse([string]$facts['ProductType'], [ref]$number)) {
                $productType = $number
            }
        }
        $demand = $null
        if ($null -ne $summary.MemoryAvailable -and [int]$summary.MemoryAvailable -ne [int]::MaxValue -and $null -ne $summary.MemoryUsage) {
            $demand = [int64][System.Math]::Floor([double]$summary.MemoryUsage * (100 - [int]$summary.MemoryAvailable) / 100) * 1048576
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
                dem    = $demand
                notes  = [string]$summary.Notes
                snaps  = [int]$checkpointCountByVm[$vmKey]
                isv    = $servicesVersion
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

function Watch-HvGuiChange {
    <#
    .SYNOPSIS
    Streams what changes on this host's VMs, one compact JSON string per record, until stopped.

    .DESCRIPTION
    A long-lived pipeline: the client reads its output as it is written and stops it when done.

    Mechanism: CIM indications the Hyper-V provider raises itself, without WITHIN, so that waiting costs the
    host nothing per VM. It subscribes to __InstanceModificationEvent, __InstanceCreationEvent and
    __InstanceDeletionEvent of Msvm_ComputerSystem (documented: the provider raises them whenever a property
    changes, hyperv-api.md 6.4) and to __InstanceModificationEvent of Msvm_HeartbeatComponent. Each tick is one
    Wait-Event of at most a second; when events came, it reads Msvm_SummaryInformation of just those VMs (one
    CIM query with a Name filter and a property list) and writes what differs. So a tick costs the same with
    10 VMs or 5,000, and a busy tick costs one query for the VMs that changed.

    Two things still read every VM, at slow intervals: the first record (hello) and a sweep every MetricsSec
    seconds, one enumeration of Msvm_SummaryInformation with a property list (the way the Hyper-V module reads
    it, hyperv-cim-winrm.md 1.3). CPU load and memory change all the time and raise no events; the sweep also
    catches anything an event did not say. MetricsSec 0 turns the sweep off.

    Not WITHIN: a query with WITHIN makes WinMgmt itself enumerate every instance of the class at that
    interval, so the cost would stay on the host and grow with the VMs, hidden in WinMgmt, in whole seconds.
    Whether the provider raises Msvm_HeartbeatComponent events without WITHIN is not documented
    (hyperv-api.md 6.4). A host whose provider does not refuses the subscription
    (WBEMESS_E_REGISTRATION_TOO_PRECISE, 0x80042002) when it is registered; the watcher then reads every VM
    each IntervalMs instead (scan): one bulk query per tick, never a cmdlet or a WMI read per VM. After each
    scan it sleeps IntervalMs less what the scan took, but at least half as long as the scan took, so a large
    or slow host is never kept busy more than two thirds of the time. A subscription that fails later (the
    provider stops) arrives as an exception event, which ends the watcher with that error; the client then
    polls and starts a watcher again.

    Records (schema 1), each with a sequence number the client checks for gaps and t, the host's UTC time in
    seconds since 1970:
      {"k":"hello","v":1,"seq":0,"t":..,"via":"events"|"scan","vms":[row,...]}  every VM, once, first
      {"k":"change","seq":n,"t":..,"vms":[row,...]}       the VMs whose row changed since it was last written
      {"k":"tick","seq":n,"t":..}                         nothing to say for TickSec seconds: still alive
      {"k":"resync","seq":n,"t":..,"why":"vms"}           VMs were added or removed: read a full inventory
      {"k":"resync","seq":n,"t":..,"why":"clock","jump":s}  the host's clock jumped s seconds
    row: {"id","name","state","hb","status","cpu","mem","up","boot"}; id, name, state, hb, status, cpu and mem
    as in Get-HvGuiInventory. boot: the host's UTC time of the VM's start in whole seconds (t less UpTime),
    null while UpTime is 0; up: whole seconds of UpTime when the row was read. A row counts as changed when
    name, state, hb, status or whether it has a boot time changed, when a running VM's boot time moved by
    more than 2 s (a restart), when cpu moved by CpuStep points or mem by MemoryStepMB since the row was
    last written; up ticks and is never compared. DurationSec 0 runs until stopped.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [ValidateRange(50, 60000)]
        [int]
        $IntervalMs = 200,

        [ValidateRange(1, 3600)]
        [int]
        $TickSec = 2,

        [ValidateRange(0, 604800)]
        [int]
        $DurationSec = 3600,

        [ValidateRange(1, 100)]
        [int]
        $CpuStep = 10,

        [ValidateRange(1, 1048576)]
        [int]
        $MemoryStepMB = 256,

        [ValidateRange(0, 3600)]
        [int]
        $MetricsSec = 5
    )

    $ns = 'root/virtualization/v2'
    $properties = @('Name', 'ElementName', 'EnabledState', 'HealthState', 'Heartbeat', 'ApplicationHealth', 'ProcessorLoad', 'MemoryUsage', 'UpTime', 'StatusDescriptions')
    $criticalStates = @{ 2 = 32785; 3 = 32786; 4 = 32787; 6 = 32788; 9 = 32789; 10 = 32790; 11 = 32791; 32773 = 32792; 32776 = 32793; 32777 = 32794; 32779 = 32795; 32780 = 32796 }
    $epoch = [DateTime]::new(1970, 1, 1, 0, 0, 0, [DateTimeKind]::Utc)
    $memoryStep = [int64]$MemoryStepMB * 1048576
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    # More VMs than this changing in one tick are read with the sweep's one enumeration instead.
    $mostFiltered = 100
    # The subscriptions' queries are constant text, never built from a value.
    $queries = [ordered]@{
        Changed   = "SELECT * FROM __InstanceModificationEvent WHERE TargetInstance ISA 'Msvm_ComputerSystem'"
        Created   = "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'Msvm_ComputerSystem'"
        Deleted   = "SELECT * FROM __InstanceDeletionEvent WHERE TargetInstance ISA 'Msvm_ComputerSystem'"
        Heartbeat = "SELECT * FROM __InstanceModificationEvent WHERE TargetInstance ISA 'Msvm_HeartbeatComponent'"
    }
    $prefix = 'HvGui.Watch.' + [Guid]::NewGuid().ToString('N') + '.'
    $subscribed = [System.Collections.Generic.List[string]]::new()
    $via = 'events'
    try {
        foreach ($name in $queries.Keys) {
            $null = Register-CimIndicationEvent -Namespace $ns -Query $queries[$name] -SourceIdentifier ($prefix + $name) -OperationTimeoutSec 30 -ErrorAction Stop
            $subscribed.Add($prefix + $name)
        }
    }
    catch {
        $via = 'scan'
        foreach ($id in $subscribed) {
            Unregister-Event -SourceIdentifier $id -ErrorAction SilentlyContinue
        }
        $subscribed.Clear()
    }

    try {
        $sent = $null
        $seq = 0
        $lastWriteMs = [int64]0
        $lastSweepMs = [int64]0
        $previousWall = $null
        $previousMs = [int64]0
        while ($DurationSec -eq 0 -or $clock.ElapsedMilliseconds -lt [int64]$DurationSec * 1000) {
            $startedMs = $clock.ElapsedMilliseconds
            $read = 'all'
            $changedIds = [System.Collections.Generic.List[string]]::new()
            $sweepDue = $MetricsSec -gt 0 -and $startedMs - $lastSweepMs -ge [int64]$MetricsSec * 1000
            if ($via -eq 'events' -and $null -ne $sent -and -not $sweepDue) {
                $read = 'none'
                $waited = Wait-Event -Timeout 1
                $ours = 0
                foreach ($queued in @(Get-Event)) {
                    if (-not ([string]$queued.SourceIdentifier).StartsWith($prefix, [StringComparison]::Ordinal)) {
                        continue
                    }
                    $ours++
                    Remove-Event -EventIdentifier $queued.EventIdentifier
                    if ($queued.SourceEventArgs -is [Microsoft.Management.Infrastructure.CimCmdlets.CimIndicationEventExceptionEventArgs]) {
                        throw $queued.SourceEventArgs.Exception
                    }
                    $target = $queued.SourceEventArgs.NewEvent.TargetInstance
                    if ($queued.SourceIdentifier -ceq $prefix + 'Created' -or $queued.SourceIdentifier -ceq $prefix + 'Deleted') {
                        $read = 'all'
                        continue
                    }
                    $vmName = [string]$target.Name
                    if ($queued.SourceIdentifier -ceq $prefix + 'Heartbeat') {
                        $vmName = [string]$target.SystemName
                    }
                    # The host's own Msvm_ComputerSystem is named after the host, not a GUID: skipped here.
                    $parsed = [Guid]::Empty
                    if ([Guid]::TryParse($vmName, [ref]$parsed)) {
                        $canonical = $parsed.ToString('D').ToUpperInvariant()
                        if (-not $changedIds.Contains($canonical)) {
                            $changedIds.Add($canonical)
                        }
                    }
                }
                if ($null -ne $waited -and $ours -eq 0) {
                    # Only someone else's events are queued in this runspace, and Wait-Event returns at once
                    # while they are: rest a moment rather than spin.
                    [System.Threading.Thread]::Sleep(100)
                }
                if ($read -ne 'all' -and $changedIds.Count -gt 0) {
                    $read = 'some'
                    if ($changedIds.Count -gt $mostFiltered) {
                        $read = 'all'
                    }
                }
            }
            $summaries = @()
            if ($read -eq 'all') {
                $summaries = @(Get-CimInstance -Namespace $ns -ClassName 'Msvm_SummaryInformation' -Property $properties -OperationTimeoutSec 30 -ErrorAction Stop)
                $lastSweepMs = $startedMs
            }
            elseif ($read -eq 'some') {
                # Each name is a GUID parsed above and written back in canonical form: no other text reaches the filter.
                $filter = [string]::Join(' OR ', @($changedIds | ForEach-Object { "Name = '" + $_ + "'" }))
                $summaries = @(Get-CimInstance -Namespace $ns -ClassName 'Msvm_SummaryInformation' -Property $properties -Filter $filter -OperationTimeoutSec 30 -ErrorAction Stop)
            }
            $nowMs = $clock.ElapsedMilliseconds
            $wall = ([DateTime]::UtcNow - $epoch).TotalSeconds
            $rows = @{}
            $order = [System.Collections.Generic.List[string]]::new()
            foreach ($summary in $summaries) {
                $id = ([string]$summary.Name).ToLowerInvariant()
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
                $upSeconds = [double]$summary.UpTime / 1000
                $boot = $null
                if ($upSeconds -gt 0) {
                    $boot = [int64][System.Math]::Floor($wall - $upSeconds)
                }
                $rows[$id] = [pscustomobject]@{
                    id     = $id
                    name   = [string]$summary.ElementName
                    state  = $state
                    hb     = $heartbeat
                    status = $status
                    cpu    = [int]$summary.ProcessorLoad
                    mem    = [int64]$summary.MemoryUsage * 1048576
                    up     = [int64][System.Math]::Floor($upSeconds)
                    boot   = $boot
                }
                $order.Add($id)
            }

            $record = $null
            $all = [System.Collections.Generic.List[object]]::new()
            foreach ($id in $order) {
                $all.Add($rows[$id])
            }
            # A full read must hold exactly the VMs last written; a filtered one only VMs already written.
            $sameVms = $null -ne $sent -and ($read -ne 'all' -or $sent.Count -eq $rows.Count)
            if ($sameVms) {
                foreach ($id in $order) {
                    if (-not $sent.ContainsKey($id)) {
                        $sameVms = $false
                        break
                    }
                }
            }
            $jump = 0
            if ($null -ne $previousWall) {
                $jump = ($wall - $previousWall) - ($nowMs - $previousMs) / 1000
            }
            if ($null -eq $sent) {
                $record = [pscustomobject]@{ k = 'hello'; v = 1; seq = $seq; t = [System.Math]::Round($wall, 3); via = $via; vms = $all }
                $sent = $rows
            }
            elseif ([System.Math]::Abs($jump) -gt 2) {
                $record = [pscustomobject]@{ k = 'resync'; seq = $seq; t = [System.Math]::Round($wall, 3); why = 'clock'; jump = [System.Math]::Round($jump, 1) }
                if ($read -eq 'all') {
                    $sent = $rows
                }
            }
            elseif (-not $sameVms) {
                $record = [pscustomobject]@{ k = 'resync'; seq = $seq; t = [System.Math]::Round($wall, 3); why = 'vms' }
                if ($read -eq 'all') {
                    $sent = $rows
                }
            }
            else {
                $changed = [System.Collections.Generic.List[object]]::new()
                foreach ($id in $order) {
                    $row = $rows[$id]
                    $old = $sent[$id]
                    $differs = $old.name -cne $row.name -or $old.state -ne $row.state -or $old.hb -ne $row.hb -or $old.status -cne $row.status
                    if (-not $differs) {
                        $differs = ($null -eq $old.boot) -ne ($null -eq $row.boot)
                    }
                    if (-not $differs -and $null -ne $row.boot -and $row.state -eq 2 -and $old.state -eq 2) {
                        $differs = [System.Math]::Abs($row.boot - $old.boot) -gt 2
                    }
                    if (-not $differs) {
                        $differs = [System.Math]::Abs($row.cpu - $old.cpu) -ge $CpuStep -or [System.Math]::Abs($row.mem - $old.mem) -ge $memoryStep
                    }
                    if ($differs) {
                        $changed.Add($row)
                        $sent[$id] = $row
                    }
                }
                if ($changed.Count -gt 0) {
                    $record = [pscustomobject]@{ k = 'change'; seq = $seq; t = [System.Math]::Round($wall, 3); vms = $changed }
                }
                elseif ($nowMs - $lastWriteMs -ge [int64]$TickSec * 1000) {
                    $record = [pscustomobject]@{ k = 'tick'; seq = $seq; t = [System.Math]::Round($wall, 3) }
                }
            }
            if ($null -ne $record) {
                ConvertTo-Json -InputObject $record -Depth 4 -Compress
                $seq++
                $lastWriteMs = $nowMs
            }
            $previousWall = $wall
            $previousMs = $nowMs
            if ($via -eq 'scan') {
                # Start to start every IntervalMs, but resting at least half as long as the scan took.
                # Thread.Sleep, not a cmdlet: a stop takes effect when it returns, at most one interval later.
                $spentMs = $clock.ElapsedMilliseconds - $startedMs
                [System.Threading.Thread]::Sleep([int][System.Math]::Max($IntervalMs - $spentMs, $spentMs / 2))
            }
        }
    }
    finally {
        # Runs when the client stops the pipeline too: the subscriptions and their queued events go.
        foreach ($id in $subscribed) {
            Unregister-Event -SourceIdentifier $id -ErrorAction SilentlyContinue
            Remove-Event -SourceIdentifier $id -ErrorAction SilentlyContinue
        }
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

function Remove-HvGuiStaleStagedFile {
    <#
    .SYNOPSIS
    Removes what copies left staged and nobody has written for OlderThanHours hours, and reports what it
    removed as one compact JSON string: {"removed":[<names>]}.

    .DESCRIPTION
    A client that crashed or lost its host for good leaves its staged files behind. Only what hvgui stages is
    considered: a file <GUID>.part (a copy into a guest) and a folder <GUID> (a copy out of a guest). Age is
    the last write time: of the file, or of the newest file in the folder (the folder's own when it is
    empty). A copy under way writes its staged file at least once per chunk, so a file written within the
    hour is never one another copy is writing; a day is the default. A file that cannot be removed (in use)
    is left for the next sweep.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory = $true)]
        [int]
        $OlderThanHours
    )

    $ErrorActionPreference = 'Stop'
    if ($OlderThanHours -lt 1) {
        throw "hvgui: staged files younger than an hour may belong to a copy under way."
    }
    $folder = [System.IO.Path]::Combine([System.Environment]::GetFolderPath('CommonApplicationData'), 'hvgui', 'staging')
    $removed = [System.Collections.Generic.List[string]]::new()
    if ([System.IO.Directory]::Exists($folder)) {
        $limit = [System.DateTime]::UtcNow.AddHours(-$OlderThanHours)
        $parsed = [Guid]::Empty
        foreach ($path in [System.IO.Directory]::GetFiles($folder, '*.part')) {
            $name = [System.IO.Path]::GetFileName($path)
            if (-not [Guid]::TryParse($name.Substring(0, $name.Length - 5), [ref]$parsed)) {
                continue
            }
            if ([System.IO.File]::GetLastWriteTimeUtc($path) -lt $limit) {
                try {
                    [System.IO.File]::Delete($path)
                    $removed.Add($name)
                }
                catch [System.IO.IOException] {
                }
            }
        }
        foreach ($path in [System.IO.Directory]::GetDirectories($folder)) {
            $name = [System.IO.Path]::GetFileName($path)
            if (-not [Guid]::TryParse($name, [ref]$parsed)) {
                continue
            }
            $newest = [System.IO.Directory]::GetLastWriteTimeUtc($path)
            foreach ($file in [System.IO.Directory]::GetFiles($path, '*', [System.IO.SearchOption]::AllDirectories)) {
                $written = [System.IO.File]::GetLastWriteTimeUtc($file)
                if ($written -gt $newest) {
                    $newest = $written
                }
            }
            if ($newest -lt $limit) {
                try {
                    [System.IO.Directory]::Delete($path, $true)
                    $removed.Add($name)
                }
                catch [System.IO.IOException] {
                }
            }
        }
    }
    ConvertTo-Json -InputObject ([ordered]@{ removed = $removed.ToArray() }) -Compress
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

function Get-HvGuiGuestChildItem {
    <#
    .SYNOPSIS
    Lists one folder of a running Windows guest, or its drives, through PowerShell Direct, as one compact JSON
    string.

    .DESCRIPTION
    Invoke-Command -VMId signs in to the guest with Credential and runs a constant script block there; Path
    and Limit travel as its arguments, never as script text. The guest reads the folder with .NET
    (DirectoryInfo.EnumerateFileSystemInfos, in the file system's own order) and stops after Limit entries.

    Without Path: {"drives":[{"n","root","free","used"}]}, the guest's ready file-system drives (n: the letter,
    root: its root folder, free and used: bytes).
    With Path: {"path","entries":[{"n","p","d","l","m","h","s"}],"truncated","error","message"}. n: the name,
    p: the full path, d: a folder, l: the length in bytes (null for a folder), m: LastWriteTimeUtc in
    round-trip format, h and s: the Hidden and System attributes. truncated: more than Limit entries were
    there. error: null, or "missing" (no such folder), "notFolder" (a file), "denied" (the account may not
    list it) or "failed" (another I/O error, e.g. a drive that is not ready), with the guest's .NET message in
    message; entries is then empty.

    The errors of Invoke-Command (a wrong account, a guest that cannot host PowerShell Direct, a VM that is
    off) end the function and reach the client as they are.
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

        [string]
        $Path = '',

        [int]
        $Limit = 5000
    )

    $ErrorActionPreference = 'Stop'
    $answer = @(Invoke-Command -VMId $VMId -Credential $Credential -ScriptBlock {
            param([string]$Folder, [int]$Limit)
            $ErrorActionPreference = 'Stop'
            if ([string]::IsNullOrEmpty($Folder)) {
                $drives = [System.Collections.Generic.List[object]]::new()
                foreach ($drive in [System.IO.DriveInfo]::GetDrives()) {
                    if (-not $drive.IsReady) {
                        continue
                    }
                    $drives.Add([ordered]@{
                            n    = $drive.Name.Substring(0, 1)
                            root = $drive.RootDirectory.FullName
                            free = [long]$drive.AvailableFreeSpace
                            used = [long]($drive.TotalSize - $drive.TotalFreeSpace)
                        })
                }
                return ConvertTo-Json -InputObject ([ordered]@{ drives = $drives.ToArray() }) -Depth 4 -Compress
            }
            $report = [ordered]@{ path = $Folder; entries = @(); truncated = $false; error = $null; message = '' }
            $entries = [System.Collections.Generic.List[object]]::new()
            $directory = [System.IO.DirectoryInfo]::new($Folder)
            if (-not $directory.Exists) {
                $report.error = 'missing'
                if ([System.IO.File]::Exists($Folder)) {
                    $report.error = 'notFolder'
                }
                return ConvertTo-Json -InputObject $report -Depth 4 -Compress
            }
            try {
                foreach ($item in $directory.EnumerateFileSystemInfos()) {
                    if ($entries.Count -ge $Limit) {
                        $report.truncated = $true
                        break
                    }
                    $attributes = $item.Attributes
                    $isFolder = ($attributes -band [System.IO.FileAttributes]::Directory) -ne 0
                    $entries.Add([ordered]@{
                            n = $item.Name
                            p = $item.FullName
                            d = $isFolder
                            l = if ($isFolder) { $null } else { [long]$item.Length }
                            m = $item.LastWriteTimeUtc.ToString('o')
                            h = ($attributes -band [System.IO.FileAttributes]::Hidden) -ne 0
                            s = ($attributes -band [System.IO.FileAttributes]::System) -ne 0
                        })
                }
            }
            catch {
                # .NET's exception may arrive wrapped (MethodInvocationException): look along the chain.
                $report.error = 'failed'
                $cause = $_.Exception
                while ($null -ne $cause) {
                    if ($cause -is [System.UnauthorizedAccessException]) {
                        $report.error = 'denied'
                    }
                    $report.message = $cause.Message
                    $cause = $cause.InnerException
                }
                $entries.Clear()
            }
            $report.entries = $entries.ToArray()
            ConvertTo-Json -InputObject $report -Depth 4 -Compress
        } -ArgumentList $Path, $Limit -ErrorAction Stop)
    # The answer arrives deserialized, with the guest's name attached: a plain string goes on.
    [string]$answer[0]
}

# --- key-value pair exchange (KVP) ------------------------------------------------------------------------
#
# Items are embedded Msvm_KvpExchangeDataItem instances (XML strings). They are read as XML documents with
# constant XPath queries and whitespace kept, and written with every value XML-escaped (carriage returns as
# character references, so no parser folds a CR LF into LF): nothing a guest or an admin writes is ever
# interpreted as script or markup.

function Get-HvGuiKvpPools {
    <#
    .SYNOPSIS
    The key-value pairs of every pool of the given VMs (all VMs without VMId), as one compact JSON string.

    .DESCRIPTION
    Three bulk CIM queries whatever the number of VMs: the summary information (name and state), the KVP
    setting data (host-to-guest and host-only items, always there) and the runtime KVP component (what the
    guest reports about itself and what guest software published; only while the VM runs).
    {"v":1,"vms":[{"id","name","state","on","p","pt","intrinsic","guest","host","hostOnly","bad"}]}.
    id: VM GUID, lower case. state: EnabledState. on: the KVP component is enabled (null without setting
    data). p, pt: OperationalStatus[0] and StatusDescriptions[0] of the runtime component (null and '' while
    the VM does not run). intrinsic, guest: null while the VM does not run, else lists of {"n","d"} (Name
    and Data); host, hostOnly: lists of {"n","d"}. Intrinsic values are trimmed (some guests end one with a
    line feed); the other pools travel exactly as stored. bad: items that were not readable XML.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Guid[]]
        $VMId
    )

    $ns = 'root/virtualization/v2'
    $timeoutSec = 30
    $summaries = @(Get-CimInstance -Namespace $ns -ClassName 'Msvm_SummaryInformation' -Property 'Name', 'ElementName', 'EnabledState' -OperationTimeoutSec $timeoutSec -ErrorAction Stop)
    $settings = @(Get-CimInstance -Namespace $ns -ClassName 'Msvm_KvpExchangeComponentSettingData' -Property 'InstanceID', 'EnabledState', 'HostExchangeItems', 'HostOnlyItems' -OperationTimeoutSec $timeoutSec -ErrorAction Stop)
    $devices = @(Get-CimInstance -Namespace $ns -ClassName 'Msvm_KvpExchangeComponent' -Property 'DeviceID', 'OperationalStatus', 'StatusDescriptions', 'GuestIntrinsicExchangeItems', 'GuestExchangeItems' -OperationTimeoutSec $timeoutSec -ErrorAction Stop)

    $wanted = @{}
    foreach ($id in @($VMId)) {
        if ($null -ne $id) {
            $wanted[$id.ToString('D').ToUpperInvariant()] = $true
        }
    }
    $separators = [char[]]@(':', '\')
    $settingByVm = @{}
    foreach ($setting in $settings) {
        $parts = ([string]$setting.InstanceID).Split($separators)
        if ($parts.Count -ge 3) {
            $settingByVm[$parts[1].ToUpperInvariant()] = $setting
        }
    }
    $deviceByVm = @{}
    foreach ($device in $devices) {
        $parts = ([string]$device.DeviceID).Split($separators)
        if ($parts.Count -ge 3) {
            $deviceByVm[$parts[1].ToUpperInvariant()] = $device
        }
    }
    $lineEnds = [char[]]@([char]13, [char]10)

    $rows = [System.Collections.Generic.List[object]]::new()
    foreach ($summary in $summaries) {
        $vmKey = ([string]$summary.Name).ToUpperInvariant()
        if ($wanted.Count -gt 0 -and -not $wanted.ContainsKey($vmKey)) {
            continue
        }
        $setting = $settingByVm[$vmKey]
        $device = $deviceByVm[$vmKey]
        $row = [ordered]@{
            id        = $vmKey.ToLowerInvariant()
            name      = [string]$summary.ElementName
            state     = [int]$summary.EnabledState
            on        = $null
            p         = $null
            pt        = ''
            intrinsic = $null
            guest     = $null
            host      = [System.Collections.Generic.List[object]]::new()
            hostOnly  = [System.Collections.Generic.List[object]]::new()
            bad       = 0
        }
        $pools = [ordered]@{}
        if ($null -ne $setting) {
            $row.on = ($null -ne $setting.EnabledState -and [int]$setting.EnabledState -eq 2)
            $pools['host'] = @($setting.HostExchangeItems)
            $pools['hostOnly'] = @($setting.HostOnlyItems)
        }
        if ($null -ne $device) {
            if ($null -ne $device.OperationalStatus -and @($device.OperationalStatus).Count -gt 0) {
                $row.p = [int]@($device.OperationalStatus)[0]
            }
            if ($null -ne $device.StatusDescriptions -and @($device.StatusDescriptions).Count -gt 0) {
                $row.pt = [string]@($device.StatusDescriptions)[0]
            }
            $row.intrinsic = [System.Collections.Generic.List[object]]::new()
            $row.guest = [System.Collections.Generic.List[object]]::new()
            $pools['intrinsic'] = @($device.GuestIntrinsicExchangeItems)
            $pools['guest'] = @($device.GuestExchangeItems)
        }
        foreach ($pool in $pools.Keys) {
            foreach ($item in $pools[$pool]) {
                if ([string]::IsNullOrEmpty($item)) {
                    continue
                }
                $document = [System.Xml.XmlDocument]::new()
                $document.PreserveWhitespace = $true
                try {
                    $document.LoadXml($item)
                }
                catch {
                    $row.bad += 1
                    continue
                }
                $nameNode = $document.SelectSingleNode("/INSTANCE/PROPERTY[@NAME='Name']/VALUE")
                $dataNode = $document.SelectSingleNode("/INSTANCE/PROPERTY[@NAME='Data']/VALUE")
                $itemName = ''
                $data = ''
                if ($null -ne $nameNode) {
                    $itemName = $nameNode.InnerText
                }
                if ($null -ne $dataNode) {
                    $data = $dataNode.InnerText
                }
                if ($pool -eq 'intrinsic') {
                    $itemName = $itemName.Trim()
                    $data = $data.TrimEnd($lineEnds)
                }
                $row[$pool].Add([ordered]@{ n = $itemName; d = $data })
            }
        }
        $rows.Add($row)
    }
    ConvertTo-Json -InputObject ([ordered]@{ v = 1; vms = $rows }) -Depth 6 -Compress
}

function Set-HvGuiKvpItems {
    <#
    .SYNOPSIS
    Adds, modifies and removes host-to-guest (or, with -HostOnly, host-only) key-value pairs on one or more
    VMs, and reports per VM, as one compact JSON string.

    .DESCRIPTION
    Name, Value and Action are parallel lists: the pair Name[i] = Value[i] is to be added ('Add'), changed
    ('Modify'), removed ('Remove', the value is ignored) or set ('Set': added when the VM has no such key,
    changed when it has). The same edit applies to every VM of VMId. The work runs in phases for all VMs at
    once: RemoveKvpItems, then ModifyKvpItems, then AddKvpItems of Msvm_VirtualSystemManagementService, each
    call with at most 128 items (larger edits are batched); after each phase the jobs of every VM are polled
    with one query of Msvm_ConcreteJob per round until none runs. A VM whose call or job fails is reported
    and left out of the later phases; the other VMs go on.
    {"v":1,"results":[{"id","ok","code","error"}]}, one per VM in VMId order. code: the method's return
    value, or the failed job's ErrorCode. A VM whose jobs still run after two minutes is reported with
    code 4096 ("still running on the host").
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory = $true)]
        [Guid[]]
        $VMId,

        [Parameter(Mandatory = $true)]
        [AllowEmptyCollection()]
        [AllowEmptyString()]
        [string[]]
        $Name,

        [Parameter(Mandatory = $true)]
        [AllowEmptyCollection()]
        [AllowEmptyString()]
        [string[]]
        $Value,

        [Parameter(Mandatory = $true)]
        [AllowEmptyCollection()]
        [string[]]
        $Action,

        [switch]
        $HostOnly
    )

    if ($Name.Count -ne $Value.Count -or $Name.Count -ne $Action.Count) {
        throw 'hvgui: Name, Value and Action must have the same number of elements.'
    }
    $ns = 'root/virtualization/v2'
    $timeoutSec = 30
    $source = 0
    $pool = 'HostExchangeItems'
    if ($HostOnly) {
        $source = 4
        $pool = 'HostOnlyItems'
    }
    $service = @(Get-CimInstance -Namespace $ns -ClassName 'Msvm_VirtualSystemManagementService' -OperationTimeoutSec $timeoutSec -ErrorAction Stop)[0]
    $systems = @(Get-CimInstance -Namespace $ns -ClassName 'Msvm_ComputerSystem' -KeyOnly -OperationTimeoutSec $timeoutSec -ErrorAction Stop)
    $settings = @(Get-CimInstance -Namespace $ns -ClassName 'Msvm_KvpExchangeComponentSettingData' -Property 'InstanceID', 'HostExchangeItems', 'HostOnlyItems' -OperationTimeoutSec $timeoutSec -ErrorAction Stop)

    $systemById = @{}
    foreach ($system in $systems) {
        $systemById[([string]$system.Name).ToUpperInvariant()] = $system
    }
    # The keys each VM has now (to resolve 'Set'), read from its setting data with constant XPath.
    $separators = [char[]]@(':', '\')
    $keysByVm = @{}
    foreach ($setting in $settings) {
        $parts = ([string]$setting.InstanceID).Split($separators)
        if ($parts.Count -lt 3) {
            continue
        }
        $keys = [System.Collections.Generic.HashSet[string]]::new([System.StringComparer]::Ordinal)
        foreach ($item in @($setting.$pool)) {
            if ([string]::IsNullOrEmpty($item)) {
                continue
            }
            $document = [System.Xml.XmlDocument]::new()
            $document.PreserveWhitespace = $true
            try {
                $document.LoadXml($item)
            }
            catch {
                continue
            }
            $nameNode = $document.SelectSingleNode("/INSTANCE/PROPERTY[@NAME='Name']/VALUE")
            if ($null -ne $nameNode) {
                [void]$keys.Add($nameNode.InnerText)
            }
        }
        $keysByVm[$parts[1].ToUpperInvariant()] = $keys
    }

    $cr = [string][char]13
    $results = [ordered]@{}
    $order = [System.Collections.Generic.List[string]]::new()
    foreach ($id in $VMId) {
        $vmKey = $id.ToString('D').ToUpperInvariant()
        if ($results.Contains($vmKey)) {
            continue
        }
        $order.Add($vmKey)
        $results[$vmKey] = [ordered]@{ id = $vmKey.ToLowerInvariant(); ok = $true; code = 0; error = '' }
        if (-not $systemById.ContainsKey($vmKey)) {
            $results[$vmKey].ok = $false
            $results[$vmKey].code = 32773
            $results[$vmKey].error = 'The host has no virtual machine with this id.'
        }
    }
    $deadline = [System.DateTime]::UtcNow.AddMinutes(2)
    foreach ($method in @('RemoveKvpItems', 'ModifyKvpItems', 'AddKvpItems')) {
        $pending = @{}
        foreach ($vmKey in $order) {
            $result = $results[$vmKey]
            if (-not $result.ok) {
                continue
            }
            $existing = $keysByVm[$vmKey]
            $items = [System.Collections.Generic.List[string]]::new()
            for ($i = 0; $i -lt $Name.Count; $i++) {
                $verb = $Action[$i]
                if ($verb -eq 'Set') {
                    $verb = 'Add'
                    if ($null -ne $existing -and $existing.Contains($Name[$i])) {
                        $verb = 'Modify'
                    }
                }
                if ($verb + 'KvpItems' -ne $method) {
                    continue
                }
                $data = ''
                if ($method -ne 'RemoveKvpItems') {
                    $data = $Value[$i]
                }
                $escapedName = $Name[$i].Replace('&', '&amp;').Replace('<', '&lt;').Replace('>', '&gt;').Replace('"', '&quot;').Replace("'", '&apos;').Replace($cr, '&#13;')
                $escapedData = $data.Replace('&', '&amp;').Replace('<', '&lt;').Replace('>', '&gt;').Replace('"', '&quot;').Replace("'", '&apos;').Replace($cr, '&#13;')
                $items.Add('<INSTANCE CLASSNAME="Msvm_KvpExchangeDataItem"><PROPERTY NAME="Data" TYPE="string"><VALUE>' + $escapedData + '</VALUE></PROPERTY><PROPERTY NAME="Name" TYPE="string"><VALUE>' + $escapedName + '</VALUE></PROPERTY><PROPERTY NAME="Source" TYPE="uint16"><VALUE>' + $source + '</VALUE></PROPERTY></INSTANCE>')
            }
            for ($start = 0; $start -lt $items.Count -and $result.ok; $start += 128) {
                $batch = [string[]]$items.GetRange($start, [System.Math]::Min(128, $items.Count - $start)).ToArray()
                try {
                    $answer = Invoke-CimMethod -InputObject $service -MethodName $method -Arguments @{ TargetSystem = $systemById[$vmKey]; DataItems = $batch } -OperationTimeoutSec $timeoutSec -ErrorAction Stop
                }
                catch {
                    $result.ok = $false
                    $result.code = 32768
                    $result.error = $_.Exception.Message
                    continue
                }
                $code = [int]$answer.ReturnValue
                if ($code -eq 4096) {
                    if (-not $pending.ContainsKey($vmKey)) {
                        $pending[$vmKey] = [System.Collections.Generic.List[string]]::new()
                    }
                    $pending[$vmKey].Add([string]$answer.Job.InstanceID)
                }
                elseif ($code -ne 0) {
                    $result.ok = $false
                    $result.code = $code
                    $result.error = "$method returned $code."
                }
            }
        }
        # Jobs of this phase: one enumeration of Msvm_ConcreteJob per round, whatever the number of VMs.
        while ($pending.Count -gt 0) {
            $jobs = @(Get-CimInstance -Namespace $ns -ClassName 'Msvm_ConcreteJob' -Property 'InstanceID', 'JobState', 'ErrorCode', 'ErrorDescription' -OperationTimeoutSec $timeoutSec -ErrorAction Stop)
            $jobById = @{}
            foreach ($job in $jobs) {
                $jobById[[string]$job.InstanceID] = $job
            }
            foreach ($vmKey in @($pending.Keys)) {
                $running = [System.Collections.Generic.List[string]]::new()
                foreach ($jobId in $pending[$vmKey]) {
                    $job = $jobById[$jobId]
                    if ($null -eq $job) {
                        continue
                    }
                    $state = [int]$job.JobState
                    if ($state -eq 2 -or $state -eq 3 -or $state -eq 4) {
                        $running.Add($jobId)
                    }
                    elseif ($state -ne 7 -and $results[$vmKey].ok) {
                        $results[$vmKey].ok = $false
                        $results[$vmKey].code = [int]$job.ErrorCode
                        $results[$vmKey].error = [string]$job.ErrorDescription
                    }
                }
                if ($running.Count -eq 0) {
                    $pending.Remove($vmKey)
                }
                else {
                    $pending[$vmKey] = $running
                }
            }
            if ($pending.Count -gt 0) {
                if ([System.DateTime]::UtcNow -gt $deadline) {
                    foreach ($vmKey in @($pending.Keys)) {
                        $results[$vmKey].ok = $false
                        $results[$vmKey].code = 4096
                        $results[$vmKey].error = 'The job is still running on the host.'
                    }
                    break
                }
                [System.Threading.Thread]::Sleep(250)
            }
        }
    }
    $list = [System.Collections.Generic.List[object]]::new()
    foreach ($vmKey in $order) {
        $list.Add($results[$vmKey])
    }
    ConvertTo-Json -InputObject ([ordered]@{ v = 1; results = $list }) -Depth 4 -Compress
}
