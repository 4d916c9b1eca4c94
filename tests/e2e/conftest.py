"""End-to-end tests run `python -m hvgui` as a person would, against emulators on loopback."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
