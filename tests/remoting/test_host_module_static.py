"""Static check of the host-side PowerShell module, which no Windows host here can run.

Every command the module invokes must be a documented cmdlet, called with documented parameters that
fit one of its documented parameter sets (`data/cmdlet_syntax_subset.json`, vendored with its sources).
The module is parsed with the tree-sitter PowerShell grammar. The grammar misreads a few valid
constructs, and a misread region can hide a command from this check, so every parse error must be
listed in ACCEPTED_PARSE_ERRORS with the reason it is harmless.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import tree_sitter
import tree_sitter_powershell

SYNTAX_FILE = Path(__file__).parent / "data" / "cmdlet_syntax_subset.json"

#: (line, text of the error node) -> why it is harmless. Empty: the module parses cleanly today.
ACCEPTED_PARSE_ERRORS: dict[tuple[int, str], str] = {}

#: Function names the module may declare: the `HvGui` noun prefix.
FUNCTION_NAME = re.compile(r"^(?:global:)?[A-Z][a-z]+-HvGui[A-Za-z]+$")


def module_text() -> str:
    return (resources.files("hvgui.remoting") / "ps" / "HvGui.ps1").read_text(encoding="utf-8")


@cache
def syntax() -> dict[str, Any]:
    return json.loads(SYNTAX_FILE.read_text(encoding="utf-8"))


@cache
def parser() -> tree_sitter.Parser:
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))


# --- reading the script -------------------------------------------------------------------------------


@dataclass
class Element:
    """One element after the command name: a `-Parameter` or an argument."""

    text: str
    is_parameter: bool
    colon_value: bool = False  # an argument written as `-Name:value`


@dataclass
class CommandCall:
    name: str
    line: int
    elements: list[Element] = field(default_factory=list)
    receives_pipeline_input: bool = False
    dynamic: bool = False  # `& $x`, `. $x`: the command cannot be known statically
    function: str = ""  # the function whose body holds the call; "" at top level
    splatted: bool = False
    stop_parsing: bool = False


def _text(source: bytes, node: tree_sitter.Node) -> str:
    return source[node.start_byte : node.end_byte].decode("utf-8")


def _walk(node: tree_sitter.Node):
    yield node
    for child in node.children:
        yield from _walk(child)


def _enclosing_function(source: bytes, node: tree_sitter.Node) -> str:
    """The name of the function whose body holds `node`; "" at top level."""
    parent = node.parent
    while parent is not None:
        if parent.type == "function_statement":
            name = next((c for c in parent.children if c.type == "function_name"), None)
            return _text(source, name) if name is not None else "?"
        parent = parent.parent
    return ""


@dataclass(frozen=True)
class ScriptParameter:
    """One parameter a module function declares in its `param()` block."""

    name: str  # without the `$`
    type: str  # the type literal, e.g. `Guid`; "" when untyped
    mandatory: bool


def read_parameters(source: bytes) -> dict[str, list[ScriptParameter]]:
    """Every function's declared parameters, in order."""
    tree = parser().parse(source)
    found: dict[str, list[ScriptParameter]] = {}
    for node in _walk(tree.root_node):
        if node.type != "script_parameter":
            continue
        variable = next((c for c in node.children if c.type == "variable"), None)
        attributes = next((c for c in node.children if c.type == "attribute_list"), None)
        type_name, mandatory = "", False
        for attribute in attributes.children if attributes is not None else ():
            text = _text(source, attribute)
            literal = next((c for c in attribute.children if c.type == "type_literal"), None)
            if literal is not None:
                type_name = _text(source, literal).strip("[]")
            elif re.fullmatch(r"\[Parameter\(.*Mandatory\s*=\s*\$true.*\)\]", text, re.DOTALL | re.IGNORECASE):
                mandatory = True
        name = _text(source, variable).lstrip("$") if variable is not None else ""
        found.setdefault(_enclosing_function(source, node), []).append(ScriptParameter(name, type_name, mandatory))
    return found


def read_commands(source: bytes) -> tuple[list[CommandCall], list[tuple[int, str]], list[str]]:
    """Every command invocation, every parse error (line, text) and every declared function name."""
    tree = parser().parse(source)
    calls: list[CommandCall] = []
    errors: list[tuple[int, str]] = []
    functions: list[str] = []
    for node in _walk(tree.root_node):
        if node.type == "ERROR" or node.is_missing:
            errors.append((node.start_point[0] + 1, _text(source, node)))
        elif node.type == "function_statement":
            name = next((c for c in node.children if c.type == "function_name"), None)
            functions.append(_text(source, name) if name is not None else "")
        elif node.type == "command":
            calls.append(_read_command(source, node))
    return calls, errors, functions


def _read_command(source: bytes, node: tree_sitter.Node) -> CommandCall:
    name_node = next((c for c in node.children if c.type in ("command_name", "command_name_expr")), None)
    call = CommandCall(
        name=_text(source, name_node) if name_node is not None else "",
        line=node.start_point[0] + 1,
        dynamic=any(c.type == "command_invokation_operator" for c in node.children)
        or (name_node is not None and name_node.type != "command_name"),
        function=_enclosing_function(source, node),
        receives_pipeline_input=node.prev_sibling is not None and node.prev_sibling.type == "|",
    )
    elements = next((c for c in node.children if c.type == "command_elements"), None)
    colon_pending = False
    for child in elements.children if elements is not None else ():
        if child.type == "command_argument_sep":
            colon_pending = colon_pending or _text(source, child).strip() == ":"
            continue
        if child.type == "redirection":
            continue
        if child.type == "stop_parsing":
            call.stop_parsing = True
            continue
        text = _text(source, child)
        if child.type == "command_parameter":
            call.elements.append(Element(text, is_parameter=True))
        else:
            call.splatted = call.splatted or (text.startswith("@") and re.fullmatch(r"@\w+", text) is not None)
            call.elements.append(Element(text, is_parameter=False, colon_value=colon_pending))
        colon_pending = False
    return call


# --- binding parameters ---------------------------------------------------------------------------------


def _lookup(parameters: list[dict[str, Any]], written: str) -> dict[str, Any] | None:
    """Full names and documented aliases only: abbreviations bind on a host but break when a cmdlet grows."""
    wanted = written.lower()
    for parameter in parameters:
        if parameter["name"].lower() == wanted or wanted in (a.lower() for a in parameter.get("aliases", ())):
            return parameter
    return None


def bind(call: CommandCall, parameter_set: dict[str, Any]) -> list[str]:
    """Problems binding `call` to one parameter set, in the way PowerShell's binder would see them."""
    common = syntax()["_common_parameters"]["parameters"]
    parameters = parameter_set["parameters"]
    problems: list[str] = []
    bound: set[str] = set()
    positional: list[str] = []
    index = 0
    while index < len(call.elements):
        element = call.elements[index]
        index += 1
        if not element.is_parameter:
            positional.append(element.text)
            continue
        written = element.text[1:]
        parameter = _lookup(parameters, written) or _lookup(common, written)
        if parameter is None:
            problems.append(f"no parameter -{written}")
            continue
        if parameter["name"] in bound:
            problems.append(f"-{parameter['name']} given twice")
        bound.add(parameter["name"])
        following = call.elements[index] if index < len(call.elements) else None
        if following is not None and following.colon_value:
            index += 1  # `-Switch:$false` or `-Name:value`
        elif parameter["type"] != "SwitchParameter":
            if following is None or following.is_parameter:
                problems.append(f"-{parameter['name']} needs a value")
            else:
                index += 1
    by_position = sorted(
        (p for p in parameters if p.get("position") is not None and p["name"] not in bound),
        key=lambda p: p["position"],
    )
    if len(positional) > len(by_position):
        problems.append(f"too many positional arguments: {positional[len(by_position) :]}")
    bound.update(p["name"] for p in by_position[: len(positional)])
    for parameter in parameters:
        if not parameter.get("mandatory") or parameter["name"] in bound:
            continue
        from_pipeline = parameter.get("pipeline_input", "False").startswith("True")
        if not (call.receives_pipeline_input and from_pipeline):
            problems.append(f"mandatory -{parameter['name']} missing")
    return problems


def check_script(text: str) -> list[str]:
    """Everything wrong with a host-side script, one line per problem; empty when it passes."""
    calls, errors, functions = read_commands(text.encode("utf-8"))
    unexpected = [(line, snippet) for line, snippet in errors if (line, snippet) not in ACCEPTED_PARSE_ERRORS]
    problems = [f"line {line}: parse error {snippet!r}" for line, snippet in unexpected]
    problems += [f"function {n!r} does not use the HvGui noun prefix" for n in functions if not FUNCTION_NAME.match(n)]
    for call in calls:
        where = f"line {call.line}: {call.name}"
        if call.dynamic:
            problems.append(f"{where}: dynamic invocation; call documented cmdlets by name")
            continue
        if not call.function:
            problems.append(f"{where}: runs when the module loads; only function definitions belong at top level")
        if call.splatted or call.stop_parsing:
            problems.append(f"{where}: splatting and --% hide the parameters from this check")
            continue
        entry = syntax().get(call.name)
        if entry is None or call.name.startswith("_"):
            problems.append(f"{where}: not a documented cmdlet (spell its full name; no aliases)")
            continue
        reasons = {s["name"]: bind(call, s) for s in entry["parameter_sets"]}
        if all(reasons.values()):
            detail = "; ".join(f"{name}: {', '.join(found)}" for name, found in reasons.items())
            problems.append(f"{where}: fits none of its parameter sets ({detail})")
    return problems


# --- the module ---------------------------------------------------------------------------------------


def test_first_line_is_the_marker_the_host_recognises() -> None:
    assert module_text().splitlines()[0] == "# hvgui host module"


def test_module_declares_get_hvgui_inventory() -> None:
    _calls, _errors, functions = read_commands(module_text().encode("utf-8"))
    assert "Get-HvGuiInventory" in functions


def test_module_calls_only_documented_cmdlets_with_documented_parameters() -> None:
    assert check_script(module_text()) == []


def _calls_of(function: str) -> list[CommandCall]:
    calls, _errors, _functions = read_commands(module_text().encode("utf-8"))
    return [c for c in calls if c.function == function]


#: The classes the inventory reads, each with exactly one bulk query.
INVENTORY_CLASSES = [
    "Msvm_SummaryInformation",
    "Msvm_VirtualSystemSettingData",  # the VMs' realized settings
    "Msvm_VirtualSystemSettingData",  # the checkpoints' (counted per VM)
    *(f"Msvm_{c}ComponentSettingData" for c in ("GuestServiceInterface", "Heartbeat", "KvpExchange", "Shutdown",
                                                  "TimeSync", "Vss")),
    *(f"Msvm_{c}Component" for c in ("GuestServiceInterface", "Heartbeat", "KvpExchange", "Shutdown", "TimeSync",
                                     "Vss")),
]  # fmt: skip


def _inside_loop(source: bytes, line: int) -> bool:
    """Whether the command on `line` sits in a loop body (its count would grow with the data)."""
    tree = parser().parse(source)
    loops = ("foreach_statement", "for_statement", "while_statement", "do_statement")
    for node in _walk(tree.root_node):
        if node.type == "command" and node.start_point[0] + 1 == line:
            parent = node.parent
            while parent is not None:
                if parent.type in loops or (parent.type == "command" and _text(source, parent).startswith("ForEach")):
                    return True
                parent = parent.parent
    return False


def test_inventory_makes_a_constant_number_of_bulk_cim_queries() -> None:
    calls = _calls_of("Get-HvGuiInventory")
    # No cmdlet per VM, no Hyper-V cmdlet (each reads WMI about ten times per VM), no Group-Object.
    assert {c.name for c in calls} == {"Get-CimInstance", "ConvertTo-Json"}
    classes = []
    source = module_text().encode("utf-8")
    for call in calls:
        if call.name == "ConvertTo-Json":
            continue
        texts = [e.text for e in call.elements]
        assert texts[texts.index("-Namespace") + 1] == "$ns"
        assert texts[texts.index("-OperationTimeoutSec") + 1] == "$timeoutSec"
        assert texts[texts.index("-ErrorAction") + 1] == "Stop"
        assert "-Property" in texts
        classes.append(texts[texts.index("-ClassName") + 1].strip("'"))
        assert not _inside_loop(source, call.line), call.line
    assert classes == INVENTORY_CLASSES
    text = module_text()
    body = text[text.index("function Get-HvGuiInventory") : text.index("function Set-HvGuiIntegrationService")]
    assert "$ns = 'root/virtualization/v2'" in body
    assert "Group-Object" not in body


def test_loop_detection_sees_a_query_inside_a_loop() -> None:
    text = _in_function(
        "$a = Get-CimInstance -ClassName x\n"
        "foreach ($vm in $vms) {\n    Get-CimInstance -ClassName y\n}\n"
        "$vms | ForEach-Object {\n    Get-CimInstance -ClassName z\n}"
    ).encode("utf-8")
    assert [_inside_loop(text, line) for line in (2, 4, 7)] == [False, True, True]


def test_inventory_reads_the_guest_facts_of_contract_5() -> None:
    text = module_text()
    body = text[text.index("function Get-HvGuiInventory") : text.index("function Set-HvGuiIntegrationService")]
    for key in ("os     = $osName", "osv    = $osVersion", "ptype  = $productType"):
        assert key in body
    for item in ("'OSName'", "'OSVersion'", "'ProductType'"):
        assert item in body
    assert "GuestIntrinsicExchangeItems" in body
    assert "[xml]$item" in body
    assert "VirtualMachineIsClustered" in body


def test_xml_from_guests_is_read_with_constant_xpath_only() -> None:
    # KVP items are written by the guest: they are parsed as XML and queried with constant XPath text, so
    # nothing a guest writes can change the query, let alone become script.
    arguments = re.findall(r"SelectSingleNode\(([^)]*)\)", module_text())
    assert arguments
    for argument in arguments:
        assert re.fullmatch(r'"[^"$`]*"|\'[^\']*\'', argument.strip()), argument


def test_set_integration_service_declares_the_parameters_of_contract_6() -> None:
    parameters = read_parameters(module_text().encode("utf-8"))["Set-HvGuiIntegrationService"]
    assert [(p.name, p.type, p.mandatory) for p in parameters] == [
        ("VMId", "Guid", True),
        ("ComponentId", "string", True),
        ("Enabled", "bool", True),
    ]


def test_set_integration_service_finds_the_vm_by_id_and_the_service_by_its_guid() -> None:
    calls = _calls_of("Set-HvGuiIntegrationService")
    get_vm = [c for c in calls if c.name == "Get-VM"]
    assert len(get_vm) == 1
    assert [e.text for e in get_vm[0].elements] == ["-Id", "$VMId", "-ErrorAction", "Stop"]
    where = next(c for c in calls if c.name == "Where-Object")
    assert where.receives_pipeline_input
    assert [e.text for e in where.elements] == ["{ $_.Id -like $pattern }"]
    # The ones that change something take the component objects selected by GUID ...
    by_object = [c for c in calls if any(e.text == "-VMIntegrationService" for e in c.elements)]
    assert sorted(c.name for c in by_object) == ["Disable-VMIntegrationService", "Enable-VMIntegrationService"]
    # ... and -Name only ever gets the pattern of the escaped id, which matches no service name, so that
    # the host itself reports an unknown GUID.
    by_name = [c for c in calls if any(e.text == "-Name" for e in c.elements)]
    assert by_name
    for call in by_name:
        texts = [e.text for e in call.elements]
        assert texts[texts.index("-Name") + 1] == "$pattern"
    text = module_text()
    assert "$literalId = [System.Management.Automation.WildcardPattern]::Escape($ComponentId)" in text
    assert "$pattern = '*\\' + $literalId" in text


def test_module_builds_no_script_from_text() -> None:
    text = module_text().lower()
    for construct in ("invoke-expression", "iex ", "[scriptblock]::create", "expandstring", "add-type"):
        assert construct not in text


def test_module_is_ascii_so_any_endpoint_codepage_reads_it() -> None:
    module_text().encode("ascii")


def test_every_accepted_parse_error_still_occurs() -> None:
    _calls, errors, _functions = read_commands(module_text().encode("utf-8"))
    assert set(ACCEPTED_PARSE_ERRORS) <= set(errors)


# --- the checker itself: each rule must be able to fail ---------------------------------------------------


def _in_function(body: str) -> str:
    return "function Get-HvGuiProbe {\n    " + body + "\n}\n"


def test_checker_rejects_an_undocumented_parameter() -> None:
    problems = check_script(_in_function("Get-VM -Bogus"))
    assert len(problems) == 1
    assert "no parameter -Bogus" in problems[0]


def test_checker_rejects_get_vm_bogus_added_to_the_real_module() -> None:
    original = "$vm = Get-VM -Id $VMId -ErrorAction Stop"
    text = module_text().replace(original, original.replace("-Id", "-Bogus -Id"))
    assert text != module_text()
    assert any("-Bogus" in p for p in check_script(text))


def test_checker_accepts_documented_calls() -> None:
    body = (
        "Get-VM -Name $name -ErrorAction Stop\n"
        "Get-VM | Get-VMIntegrationService\n"
        "Get-VMIntegrationService -VMName $name -Name $ic\n"
        "Get-VMIntegrationService $name\n"
        "$x | Where-Object { $_.Id -like $pattern } | Select-Object -First 1\n"
        "$x | ConvertTo-Json -Depth 3 -Compress\n"
        "Get-VMHost -Verbose:$false\n"
        "Get-VM 2>&1\n"
        "Get-VM -Id $id -ErrorAction Stop\n"
        "$components | Enable-VMIntegrationService\n"
        "Enable-VMIntegrationService -VMIntegrationService $components -Confirm:$false\n"
        "Disable-VMIntegrationService -VM $vm -Name $name -Confirm:$false\n"
        "Disable-VMIntegrationService -VMName $vmName -Name $name\n"
        "Get-CimInstance -Namespace 'root/virtualization/v2' -ClassName 'Msvm_KvpExchangeComponent' "
        "-Property 'SystemName', 'GuestIntrinsicExchangeItems' -ErrorAction Stop\n"
        "Get-CimInstance Msvm_KvpExchangeComponent -Namespace root/virtualization/v2\n"
        "Get-CimAssociatedInstance -InputObject $vm -ResultClassName 'Msvm_KvpExchangeComponent'\n"
        "Get-CimAssociatedInstance $vm 'Msvm_SettingsDefineState' -OperationTimeoutSec 5\n"
        "Invoke-CimMethod -InputObject $service -MethodName 'GetSummaryInformation' -Arguments $arguments"
    )
    assert check_script(_in_function(body)) == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Get-VMIntegrationService", "mandatory -VMName missing"),
        ("ConvertTo-Json -Compress", "mandatory -InputObject missing"),
        ("Get-VM -Name", "-Name needs a value"),
        ("Get-VM -Name a -Id b", "fits none of its parameter sets"),
        ("Get-VM a b", "too many positional arguments"),
        ("Get-VM -Nam a", "no parameter -Nam"),
        ("Get-VM -Name a -VMName b", "-Name given twice"),
        ("gvm", "not a documented cmdlet"),
        ("$x | select Name", "not a documented cmdlet"),
        ("Invoke-Expression $text", "not a documented cmdlet"),
        ("& $command", "dynamic invocation"),
        ("Get-VM @splat", "splatting"),
        ("Get-VM --% -Bogus", "splatting and --%"),
        ("Enable-VMIntegrationService -VMIntegrationService $c -VMName x", "fits none of its parameter sets"),
        ("Disable-VMIntegrationService -Name x", "fits none of its parameter sets"),
        ("Disable-VMIntegrationService -VMIntegrationService", "-VMIntegrationService needs a value"),
        ("Enable-VMIntegrationService $c -Force", "no parameter -Force"),
        ("Get-CimInstance -Namespace root/virtualization/v2", "fits none of its parameter sets"),
        ("Get-CimInstance -Class Msvm_KvpExchangeComponent", "no parameter -Class"),
        ("Get-CimAssociatedInstance -ResultClassName x", "fits none of its parameter sets"),
        ("Invoke-CimMethod -InputObject $s -Arguments $a", "fits none of its parameter sets"),
        ("$x | Where-Object -FilterScript", "-FilterScript needs a value"),
    ],
)
def test_checker_rejects(body: str, expected: str) -> None:
    problems = check_script(_in_function(body))
    assert any(expected in p for p in problems), problems


def test_checker_rejects_commands_that_run_at_load_time() -> None:
    assert any("runs when the module loads" in p for p in check_script("Get-VM\n"))


def test_checker_rejects_functions_without_the_prefix() -> None:
    assert any("HvGui noun prefix" in p for p in check_script("function Get-Inventory { }\n"))


def test_checker_reports_parse_errors_it_was_not_told_about() -> None:
    # The grammar misreads `param(...)` followed by a command on the same line; that region would hide
    # the command from the check, so an unlisted parse error must fail.
    problems = check_script("function Get-HvGuiProbe { param([string]$Name) Get-VM -Bogus $Name }\n")
    assert any("parse error" in p for p in problems)


def test_vendored_syntax_names_its_sources() -> None:
    data = syntax()
    assert data["_source"]
    for name, entry in data.items():
        if name.startswith("_"):
            continue
        assert entry["source"].startswith(("MicrosoftDocs/windows-powershell-docs:", "MicrosoftDocs/PowerShell-Docs:"))
        if entry.get("hand_written"):
            assert "reference/5.1/" in entry["source"]
