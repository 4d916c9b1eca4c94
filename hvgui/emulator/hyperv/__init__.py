"""The Hyper-V host model of the emulator: VMs, guests, integration services, cmdlets.

Modules, each with one job:

* `reference` (+ `reference_data.json`), `components`: the Hyper-V enums and the integration-component
  catalogue the model speaks in, vendored from the reference; never taken from `hvgui.domain`.
* `enums`, `types`: the Hyper-V module's .NET enums and output types as psrpcore PSType classes.
* `guest`: guest operating systems (boot, hangs, daemons), KVP pools and guest files; `timesync`: the guest
  clock (drift without Time Synchronization, convergence with it); `checkpoints`: a VM's checkpoints.
* `vm`: one VM, its power-state machine and what its integration services make visible; `host`: one host's
  state and lock; `texts`: localized host text.
* `views`: model -> PowerShell objects (what Get-VM & co. write).
* `syntax` (+ `cmdlet_syntax.json`), `binding`: documented parameter sets and strict parameter binding.
* `errors`: real messages, ErrorIds and exception types; `wildcards`: PowerShell wildcard patterns.
* `context`, `cmdlets/`: the cmdlet implementations, one module per noun.
* `cim/`: `Get-CimInstance`, `Get-CimAssociatedInstance` and `Invoke-CimMethod` in `root/virtualization/v2`.
* `functions`: hvgui's host-module functions (`Get-HvGuiInventory`, `Set-HvGuiIntegrationService`), which
  call the cmdlets through `calls` (binder, costs, errors, and a trace of the calls they make);
  `scripts`: recognised script text.
* `emulated_host`: `EmulatedHost`, the `HostRuntime` the protocol layer drives.
"""

from __future__ import annotations

from .emulated_host import EmulatedHost, HvRunspace
from .host import HostModel, HostSettings

__all__ = ["EmulatedHost", "HostModel", "HostSettings", "HvRunspace"]
