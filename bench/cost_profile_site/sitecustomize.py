"""Start-up hook for an emulator child whose command line has no `--cost-profile` option yet.

`bench/inventory.py` puts this directory on the child's PYTHONPATH only when the emulator rejects
`--cost-profile`: every host the child builds then charges the profile named in HVGUI_BENCH_COST_PROFILE.
"""

from __future__ import annotations

import os

_name = os.environ.get("HVGUI_BENCH_COST_PROFILE")
if _name:
    from hvgui.emulator.hyperv import costs

    costs.HostCosts.__init__.__defaults__ = (costs.load_profile(_name),)
