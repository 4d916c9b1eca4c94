"""`python -m hvgui.emulator`: see `hvgui.emulator.cli`."""

from __future__ import annotations

import sys

from hvgui.emulator.cli import main

if __name__ == "__main__":
    sys.exit(main())
