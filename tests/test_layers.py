"""The layer arrows of the architecture: ui -> remoting -> domain <- emulator.

Every import in every module of a layer is checked against what that layer may import. Imports inside
functions count too: a lazy import is still an arrow.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "hvgui"

#: For each layer, the hvgui packages and the third-party top-level modules it may import.
ALLOWED: dict[str, tuple[set[str], set[str]]] = {
    "domain": ({"hvgui.domain"}, set()),
    "remoting": ({"hvgui.domain", "hvgui.remoting"}, {"pypsrp", "psrpcore", "requests", "urllib3", "spnego"}),
    "emulator": ({"hvgui.domain", "hvgui.emulator"}, {"psrpcore", "cryptography"}),
    "ui": ({"hvgui.domain", "hvgui.remoting", "hvgui.ui", "hvgui.__version__"}, {"PySide6", "platformdirs"}),
}


def _imports(path: Path) -> list[tuple[int, str]]:
    """Absolute names of every module the file imports, with line numbers."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    module_parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if module_parts[-1] == "__init__":
        module_parts = module_parts[:-1]
    package_parts = module_parts if path.name == "__init__.py" else module_parts[:-1]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package_parts[: len(package_parts) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            if name == "hvgui" or (node.level and not node.module):
                found.extend((node.lineno, f"{name}.{alias.name}") for alias in node.names)
            else:
                found.append((node.lineno, name))
    return found


def _is_within(name: str, prefixes: set[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _violations(layer: str) -> list[str]:
    own, third_party = ALLOWED[layer]
    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    problems = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        for lineno, name in _imports(path):
            top = name.split(".")[0]
            if top == "hvgui":
                allowed = _is_within(name, own)
            else:
                # qasync is in no layer's list: it is confined to the composition root, hvgui/app.py.
                allowed = top in stdlib or top in third_party
            if not allowed:
                problems.append(f"{path.relative_to(PACKAGE.parent)}:{lineno} imports {name}")
    return problems


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_only_what_the_architecture_allows(layer: str) -> None:
    assert (PACKAGE / layer).is_dir()
    assert _violations(layer) == []


def test_the_checker_catches_a_forbidden_arrow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "hvgui"
    (fake / "domain").mkdir(parents=True)
    (fake / "domain" / "bad.py").write_text("from hvgui.remoting import x\nimport PySide6\nimport json\n")
    for other in ("remoting", "emulator", "ui"):
        (fake / other).mkdir()
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", fake)
    assert _violations("domain") == [
        "hvgui/domain/bad.py:1 imports hvgui.remoting",
        "hvgui/domain/bad.py:2 imports PySide6",
    ]


def test_relative_imports_are_resolved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "hvgui"
    (fake / "emulator" / "wsman").mkdir(parents=True)
    (fake / "emulator" / "wsman" / "m.py").write_text("from ...ui import window\nfrom . import faults\n")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", fake)
    assert _violations("emulator") == ["hvgui/emulator/wsman/m.py:1 imports hvgui.ui"]
