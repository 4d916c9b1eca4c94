"""Get-VMHost: the host itself (the emulator can reach no other computer)."""

from __future__ import annotations

from .. import views
from ..context import CommandContext
from .resolve import reachable_hosts


def get_vm_host(ctx: CommandContext) -> None:
    with ctx.model.lock:
        if not reachable_hosts(ctx):
            return
        obj = views.host_object(ctx.model)
    ctx.write_output(obj)
