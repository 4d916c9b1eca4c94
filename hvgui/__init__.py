"""hvgui: a desktop console for Hyper-V integration services, heartbeats, KVP and guest file copy."""

__version__ = "0.1.0"
