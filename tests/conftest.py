"""Suite-wide settings: every Qt test runs offscreen, whatever the machine has for a display."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
