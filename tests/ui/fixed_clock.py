"""One fixed moment for the Qt tests: models built with `clock=fixed_clock` show exact uptimes for VMs whose
boot time `make_vm` sets relative to `NOW`."""

from __future__ import annotations

#: The moment the models under test believe it is (Unix time).
NOW = 1_700_000_000.0


def fixed_clock() -> float:
    return NOW
