"""Formatting rules shared by every view, kept free of Qt so they can be tested directly."""

from __future__ import annotations


def format_uptime(seconds: int) -> str:
    """`3.04:05:06` like Hyper-V Manager (days.hours:minutes:seconds); `00:00:00` when off."""
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    clock = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{days}.{clock}" if days else clock


def format_memory(num_bytes: int) -> str:
    """Memory assigned in MB as Hyper-V Manager shows it; blank for 0 (VM off)."""
    if num_bytes <= 0:
        return ""
    mib = num_bytes / (1024 * 1024)
    if mib >= 10 * 1024:
        return f"{mib / 1024:.1f} GB"
    return f"{mib:,.0f} MB"
