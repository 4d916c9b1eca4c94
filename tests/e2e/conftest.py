"""End-to-end tests run `python -m hvgui` as a person would, against emulators on loopback."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The heartbeat history of the runs under test goes to a scratch directory, never the admin's data directory.
os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="hvgui-e2e-data-")
atexit.register(shutil.rmtree, os.environ["XDG_DATA_HOME"], ignore_errors=True)
