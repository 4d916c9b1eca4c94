"""Script text the emulator recognises, and what running it does.

There is no PowerShell interpreter here. A host answers only scripts it knows:

* `hvgui-module`: hvgui's host module, recognised by its exact first line `# hvgui host module`. Loading
  it declares its `function <Verb>-HvGui<Noun>` definitions in the runspace (the ones the emulator
  implements become callable).
* `pypsrp-copy` / `pypsrp-fetch`: pypsrp's `copy.ps1` and `fetch.ps1` (used by `Client.copy` / `Client.fetch`),
  recognised by markers that survive pypsrp's comment stripping. They write to / read from the host's own
  file system.

Any other script gets the answer of a runspace that cannot run script text (ScriptsNotAllowed)
(plausible WS2022 behaviour: what a no-language or JEA endpoint answers; a full endpoint would run it).
"""

from __future__ import annotations

import base64
import hashlib
import ntpath
import re
from typing import Any

from hvgui.emulator.runtime import TerminatingError

from . import errors
from .host import HostModel

HVGUI_MODULE = "hvgui-module"
PYPSRP_COPY = "pypsrp-copy"
PYPSRP_FETCH = "pypsrp-fetch"

MODULE_FIRST_LINE = "# hvgui host module"
_FUNCTION_RE = re.compile(r"^\s*function\s+(?:global:)?([A-Za-z]+-HvGui[A-Za-z]+)", re.MULTILINE)
_COPY_MARKERS = ("FromBase64String", "TransformBlock", "GetUnresolvedProviderPathFromPSPath", "TransformFinalBlock")
_FETCH_MARKERS = ("ToBase64String", "GetUnresolvedProviderPathFromPSPath", "TransformFinalBlock", "OpenRead")


def identify(script: str) -> str | None:
    first_line = script.lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")
    if first_line == MODULE_FIRST_LINE:
        return HVGUI_MODULE
    if all(m in script for m in _COPY_MARKERS):
        return PYPSRP_COPY
    if all(m in script for m in _FETCH_MARKERS) and "FromBase64String" not in script:
        return PYPSRP_FETCH
    return None


def declared_functions(module_text: str) -> list[str]:
    """The `<Verb>-HvGui<Noun>` functions a module text declares, in order."""
    return _FUNCTION_RE.findall(module_text)


def _arguments(parameters: tuple[tuple[str | None, Any], ...]) -> list[Any]:
    """`$MyInvocation.UnboundArguments` of a script: its positional arguments."""
    return [value for name, value in parameters if name is None]


def host_path(model: HostModel, raw: Any, expand: Any) -> str:
    """Resolve a path the way `GetUnresolvedProviderPathFromPSPath` does from the session's location."""
    path = str(raw)
    if expand is True:
        path = re.sub(r"%([^%]+)%", lambda m: _ENVIRONMENT.get(m.group(1).upper(), m.group(0)), path)
    path = path.replace("/", "\\")
    if not ntpath.isabs(path) or not ntpath.splitdrive(path)[0]:
        path = ntpath.join(model.home, path)
    return ntpath.normpath(path)


#: plausible WS2022 behaviour: the environment of an administrator's WinRM session.
_ENVIRONMENT = {
    "TEMP": "C:\\Users\\Administrator\\AppData\\Local\\Temp",
    "TMP": "C:\\Users\\Administrator\\AppData\\Local\\Temp",
    "USERPROFILE": "C:\\Users\\Administrator",
    "SYSTEMROOT": "C:\\Windows",
    "WINDIR": "C:\\Windows",
    "PROGRAMDATA": "C:\\ProgramData",
}


def run_copy(model: HostModel, parameters: tuple[tuple[str | None, Any], ...], pipeline_input: list[Any]) -> str:
    """copy.ps1: every input but the last is base64 file data, the last the base64 of the SHA-1 hex digest."""
    args = _arguments(parameters)
    if not pipeline_input:
        raise TerminatingError(errors.script_throw('Exception calling "FromBase64String": "Value cannot be null."'))
    *chunks, digest_b64 = (str(item) for item in pipeline_input)
    data = b"".join(base64.b64decode(chunk) for chunk in chunks)
    expected = base64.b64decode(digest_b64).decode("utf-8")
    actual = hashlib.sha1(data).hexdigest()
    if actual != expected:
        raise TerminatingError(
            errors.script_throw(f"Transport failure, hash mismatch\r\nActual: {actual}\r\nExpected: {expected}")
        )
    path = host_path(model, args[0] if args else "", args[1] if len(args) > 1 else False)
    with model.lock:
        model.files.write(path, data)
    return path


def run_fetch(model: HostModel, parameters: tuple[tuple[str | None, Any], ...]) -> list[str]:
    """fetch.ps1: the whole file as one base64 string, then its SHA-1 hex digest."""
    args = _arguments(parameters)
    path = host_path(model, args[0] if args else "", args[1] if len(args) > 1 else False)
    with model.lock:
        if model.files.is_dir(path):
            raise TerminatingError(errors.script_throw(f"The path at '{path}' is a directory, src must be a file"))
        if not model.files.exists(path):
            raise TerminatingError(errors.script_throw(f"The path at '{path}' does not exist"))
        data = model.files.read(path)
    return [base64.b64encode(data).decode("ascii"), hashlib.sha1(data).hexdigest()]
