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
    One Get-VM and one Get-VMIntegrationService for all VMs, so a refresh costs one round trip per host
    whatever the number of VMs, and the client parses one string instead of deserializing about a hundred
    properties per VM object. Enums travel as integers; text the host localizes (service names, status
    descriptions) is passed through as is, because the client matches services by their GUID.
    Schema version 1: {"v":1,"host":...,"vms":[{"id","name","state","hb","status","up","cpu","mem",
    "gen","ver","cp","cl","os","osv","ptype","ic":[{"id","name","on","p","s","pt","st"}]}]}.
    "os", "osv" and "ptype" (OSName, OSVersion and the number of ProductType from the guest's intrinsic
    KVP items) are null while the guest reports nothing: the VM is not running, or its KVP service or
    daemon does not answer. Older clients ignore them.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param()

    # A host that cannot list its VMs (VMMS stopped, access denied) must fail the call, not answer an empty
    # list: the client would take that as "every VM was deleted". A glitch for one VM's components (the VM
    # was deleted between the two calls) stays a non-terminating error and that VM is listed without them.
    $vms = @(Get-VM -ErrorAction Stop)

    # Group the components of all VMs by VM id; keys are Guid.ToString(), i.e. lower case.
    $componentsByVm = @{}
    if ($vms.Count -gt 0) {
        $grouped = Get-VMIntegrationService -VM $vms | Group-Object -Property VMId -AsHashTable -AsString
        if ($null -ne $grouped) {
            $componentsByVm = $grouped
        }
    }

    # What each running guest reports about itself (guest intrinsic KVP items), read with one CIM query for
    # all VMs and keyed by VM id (SystemName is the VM GUID). The items are embedded-instance XML; they are
    # parsed as XML documents and read with constant XPath queries, so nothing a guest writes is ever
    # interpreted as script. This part is optional: if the query fails the inventory is sent without it.
    $wantedItems = @('OSName', 'OSVersion', 'ProductType')
    $guestByVm = @{}
    $kvpComponents = @()
    try {
        $kvpComponents = @(Get-CimInstance -Namespace 'root/virtualization/v2' -ClassName 'Msvm_KvpExchangeComponent' -Property 'SystemName', 'GuestIntrinsicExchangeItems' -ErrorAction Stop)
    }
    catch {
        $kvpComponents = @()
    }
    foreach ($kvp in $kvpComponents) {
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
        $guestByVm[([string]$kvp.SystemName).ToLowerInvariant()] = $facts
    }

    # Generic lists, not arrays: Windows PowerShell 5.1 serializes a wrapped System.Array as
    # {"value":[...],"Count":n} because of the ETS Count property; a List<object> is always a JSON array.
    $rows = [System.Collections.Generic.List[object]]::new()
    foreach ($vm in $vms) {
        $services = [System.Collections.Generic.List[object]]::new()
        $vmKey = $vm.Id.ToString()
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
        if ($componentsByVm.ContainsKey($vmKey)) {
            foreach ($component in $componentsByVm[$vmKey]) {
                $services.Add([pscustomobject]@{
                        id   = ([string]$component.Id -split '\\')[-1].ToUpperInvariant()
                        name = [string]$component.Name
                        on   = [bool]$component.Enabled
                        p    = if ($null -eq $component.PrimaryOperationalStatus) { $null } else { [int]$component.PrimaryOperationalStatus }
                        s    = if ($null -eq $component.SecondaryOperationalStatus) { $null } else { [int]$component.SecondaryOperationalStatus }
                        pt   = [string]$component.PrimaryStatusDescription
                        st   = [string]$component.SecondaryStatusDescription
                    })
            }
        }
        $rows.Add([pscustomobject]@{
                id     = $vmKey
                name   = [string]$vm.Name
                state  = [int]$vm.State
                hb     = if ($null -eq $vm.Heartbeat) { $null } else { [int]$vm.Heartbeat }
                status = [string]$vm.Status
                up     = [int64][System.Math]::Floor($vm.Uptime.TotalSeconds)
                cpu    = [int]$vm.CPUUsage
                mem    = [int64]$vm.MemoryAssigned
                gen    = [int]$vm.Generation
                ver    = [string]$vm.Version
                cp     = if ($null -eq $vm.CheckpointType) { $null } else { [int]$vm.CheckpointType }
                cl     = [bool]$vm.IsClustered
                os     = $osName
                osv    = $osVersion
                ptype  = $productType
                ic     = $services
            })
    }

    $inventory = [pscustomobject]@{
        v    = 1
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
        # integration component with the given name could be found.", InvalidParameter). The escaped
        # id matches no service name, so this changes nothing.
        if ($Enabled) {
            Enable-VMIntegrationService -VM $vm -Name $literalId -Confirm:$false
        }
        else {
            Disable-VMIntegrationService -VM $vm -Name $literalId -Confirm:$false
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
