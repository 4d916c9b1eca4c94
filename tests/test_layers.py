"""The layer arrows of the architecture: ui -> remoting -> domain <- emulator, and ui -> history -> domain.

Every import in every module of a layer is checked against what that layer may import. Imports inside
functions count too: a lazy import is still an arrow.

The emulator plays the host, so it takes its Hyper-V facts (enum values, type names, GUIDs, texts) from the
vendored reference and never from `hvgui.domain`: otherwise a wrong value in the client would be echoed
back by the host and pass every test. Its one arrow into the domain is named in `EXCEPTIONS`.
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
    "remoting": (
        {"hvgui.domain", "hvgui.remoting"},
        {"pypsrp", "psrpcore", "requests", "urllib3", "spnego", "keyring", "cryptography", "platformdirs"},
    ),
    "emulator": ({"hvgui.emulator"}, {"psrpcore", "cryptography", "spnego"}),
    # The heartbeat history (SQLite, its writer thread, its queries) knows VMs, not hosts nor Qt.
    "history": ({"hvgui.domain", "hvgui.history"}, set()),
    "ui": (
        {"hvgui.domain", "hvgui.remoting", "hvgui.history", "hvgui.ui", "hvgui.__version__"},
        {"PySide6", "platformdirs"},
    ),
}

#: Single files allowed one more import, each with its reason.
EXCEPTIONS: dict[str, set[str]] = {
    # An emulated endpoint hands the demo, the tests and the benchmarks the client settings that reach it
    # (`Endpoint.connection_settings`). That describes the client, not the host: no Hyper-V fact flows from
    # the domain into what the emulator answers.
    "hvgui/emulator/endpoints.py": {"hvgui.domain.connection"},
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
        relative = path.relative_to(PACKAGE.parent).as_posix()
        for lineno, name in _imports(path):
            top = name.split(".")[0]
            if top == "hvgui":
                allowed = _is_within(name, own) or name in EXCEPTIONS.get(relative, set())
            else:
                # qasync is in no layer's list: it is confined to the composition root, hvgui/app.py.
                allowed = top in stdlib or top in third_party
            if not allowed:
                problems.append(f"{relative}:{lineno} imports {name}")
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


def test_the_emulator_may_not_take_hyper_v_facts_from_the_domain(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "hvgui"
    (fake / "emulator" / "hyperv").mkdir(parents=True)
    (fake / "emulator" / "hyperv" / "vm.py").write_text("from hvgui.domain.vm import VmState\n")
    (fake / "emulator" / "endpoints.py").write_text(
        "from hvgui.domain.connection import ConnectionSettings\nfrom hvgui.domain import integration\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", fake)
    assert _violations("emulator") == [
        "hvgui/emulator/endpoints.py:2 imports hvgui.domain",
        "hvgui/emulator/hyperv/vm.py:1 imports hvgui.domain.vm",
    ]
