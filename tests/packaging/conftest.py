"""The packages under test, built once per version of the sources by `installer/build.py` and reused."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_build_script() -> ModuleType:
    """`installer/build.py` is a script, not a package module: load it by path."""
    spec = importlib.util.spec_from_file_location("hvgui_build_script", ROOT / "installer" / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def build_script() -> ModuleType:
    return load_build_script()


@pytest.fixture(scope="session")
def dist(build_script: ModuleType) -> Path:
    """`dist/` of a full build (wheel, sdist, frozen folder, .deb), from the cache when the sources are unchanged.

    The build tools are in the test extra; without them this fails with the reason rather than skipping.
    """
    for module in ("build", "PyInstaller"):
        if importlib.util.find_spec(module) is None:
            pytest.fail(f"{module} is not installed: pip install -e '.[test]' (or deselect with -m 'not packaging')")
    return build_script.cached_build()


@pytest.fixture
def app_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """An environment for running a packaged hvgui: no QT_QPA_PLATFORM (`--screenshot` chooses offscreen
    itself), and the history and settings in scratch directories rather than the admin's."""
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "PYTHONPATH")}
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        (tmp_path / name).mkdir()
        env[name] = str(tmp_path / name)
    yield env
