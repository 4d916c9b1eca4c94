"""CIM in `root/virtualization/v2`: the classes (`schema`), the model seen as their instances (`provider`),
instances and their wire form (`instance`), WQL filters (`wql`), and the cmdlets `Get-CimInstance`,
`Get-CimAssociatedInstance` and `Invoke-CimMethod` (`cmdlets`)."""
