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
    "gen","ver","cp","cl","ic":[{"id","name","on","p","s","pt","st"}]}]}.
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

    # Generic lists, not arrays: Windows PowerShell 5.1 serializes a wrapped System.Array as
    # {"value":[...],"Count":n} because of the ETS Count property; a List<object> is always a JSON array.
    $rows = [System.Collections.Generic.List[object]]::new()
    foreach ($vm in $vms) {
        $services = [System.Collections.Generic.List[object]]::new()
        $vmKey = $vm.Id.ToString()
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
