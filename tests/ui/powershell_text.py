"""Reads "Copy as PowerShell" text the way PowerShell's parser would, and binds it with the emulator's binder.

Only the shapes hvgui writes are understood: pipelines of commands separated by `|` at the top level, each
`Command -Parameter value -Switch` with single-quoted literals (a doubled quote stands for one) or bare
words, and a script block `{ ... }` as the argument of `Where-Object`. Anything else (a double-quoted string,
a variable or a sub-expression outside a script block) is refused: hvgui's text must never expand anything.

Every Hyper-V cmdlet is bound with `hvgui.emulator.hyperv.binding.Binder` against the documented parameter
sets (`documented_commands()`); a command after the first in a pipeline binds expecting pipeline input. A
wrong parameter name, an ambiguous or impossible parameter set, or a missing mandatory parameter raises
`BindingError`, as the host's binder would.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hvgui.emulator.hyperv.binding import Binder, BoundCommand
from hvgui.emulator.hyperv.syntax import CommandSpec, ParameterSpec, documented_commands

#: The characters PowerShell's tokenizer takes as a single quote.
QUOTES = "'\u2018\u2019\u201a\u201b"
#: A `Where-Object` block hvgui may write: one property compared with one single-quoted constant.
CONSTANT_FILTER = re.compile(
    r"^\{ \$_\.(?P<property>[A-Za-z]+) -like '(?P<pattern>(?:[^'\u2018\u2019\u201a\u201b]|'')*)' \}$"
)


class UnreadableText(AssertionError):
    """The text is not in the shapes hvgui writes (or would expand something)."""


@dataclass(frozen=True)
class Token:
    kind: str  # "word" (a bare word), "literal" (a single-quoted string), "parameter", "block"
    text: str


@dataclass(frozen=True)
class Command:
    name: str
    arguments: tuple[Token, ...]


def split_pipeline(line: str) -> list[str]:
    """The commands of a pipeline: split at `|` outside quotes and script blocks."""
    parts, current, depth, quoted = [], [], 0, False
    for char in line:
        if quoted:
            quoted = char not in QUOTES  # a doubled quote closes and reopens: the net effect is the same
        elif char in QUOTES:
            quoted = True
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    if quoted or depth:
        raise UnreadableText(f"unbalanced quote or brace in {line!r}")
    parts.append("".join(current).strip())
    return parts


def tokenize(segment: str) -> Command:
    tokens: list[Token] = []
    i, n = 0, len(segment)
    while i < n:
        char = segment[i]
        if char.isspace():
            i += 1
        elif char in QUOTES:
            text, i = _literal(segment, i + 1)
            tokens.append(Token("literal", text))
        elif char == "{":
            end = _block_end(segment, i)
            tokens.append(Token("block", segment[i : end + 1]))
            i = end + 1
        elif char in '"$@(`;&':
            raise UnreadableText(f"{char!r} would make PowerShell expand or run something: {segment!r}")
        else:
            end = i
            while end < n and not segment[end].isspace():
                if segment[end] in QUOTES + '"$(){};`':
                    raise UnreadableText(f"unexpected {segment[end]!r} in a bare word: {segment!r}")
                end += 1
            word = segment[i:end]
            is_parameter = word.startswith("-") and len(word) > 1 and word[1].isalpha()
            tokens.append(Token("parameter" if is_parameter else "word", word[1:] if is_parameter else word))
            i = end
    if not tokens or tokens[0].kind != "word":
        raise UnreadableText(f"no command name in {segment!r}")
    return Command(tokens[0].text, tuple(tokens[1:]))


def _literal(text: str, i: int) -> tuple[str, int]:
    out = []
    while i < len(text):
        if text[i] in QUOTES:
            if i + 1 < len(text) and text[i + 1] in QUOTES:
                out.append(text[i + 1])
                i += 2
                continue
            return "".join(out), i + 1
        out.append(text[i])
        i += 1
    raise UnreadableText(f"unterminated literal in {text!r}")


def _block_end(text: str, start: int) -> int:
    depth, quoted = 0, False
    for i in range(start, len(text)):
        char = text[i]
        if quoted:
            quoted = char not in QUOTES
        elif char in QUOTES:
            quoted = True
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return i
    raise UnreadableText(f"unterminated script block in {text!r}")


def parse_line(line: str) -> list[Command]:
    return [tokenize(segment) for segment in split_pipeline(line)]


def _parameter(spec: CommandSpec, given: str) -> ParameterSpec | None:
    """The parameter a name selects (exact name, alias, or unique prefix), as the binder resolves it."""
    key = given.casefold()
    params = spec.all_parameters.values()
    exact = [p for p in params if p.name.casefold() == key or key in (a.casefold() for a in p.aliases)]
    if exact:
        return exact[0]
    prefixed = [p for p in params if p.name.casefold().startswith(key)]
    return prefixed[0] if len(prefixed) == 1 else None


def arguments(spec: CommandSpec, command: Command) -> list[tuple[str | None, object]]:
    """`-Name value` pairs and positional values, as PowerShell pairs them (a switch takes no value)."""
    out: list[tuple[str | None, object]] = []
    tokens = list(command.arguments)
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.kind == "block":
            raise UnreadableText(f"a script block given to {command.name}")
        if token.kind != "parameter":
            out.append((None, token.text))
            i += 1
            continue
        parameter = _parameter(spec, token.text)
        takes_value = parameter is None or not parameter.is_switch
        if takes_value and i + 1 < len(tokens) and tokens[i + 1].kind in ("word", "literal"):
            out.append((token.text, tokens[i + 1].text))
            i += 2
        else:
            out.append((token.text, None))  # a switch present: the binder sets it
            i += 1
    return out


def bind(command: Command, *, expects_input: bool) -> Binder:
    """Bind a Hyper-V cmdlet's arguments against its documented parameter sets (raises `BindingError`)."""
    spec = documented_commands().get(command.name.casefold())
    if spec is None:
        raise UnreadableText(f"{command.name} is not a documented cmdlet")
    return Binder(spec, arguments(spec, command), expects_input=expects_input)


def bind_alone(command: Command) -> BoundCommand:
    """The first command of a pipeline: bound with no input, its parameter set resolved."""
    return bind(command, expects_input=False).bind_without_input()


def constant_filter(command: Command) -> tuple[str, str]:
    """A `Where-Object { $_.Prop -like '...' }`: the property and the decoded pattern, or `UnreadableText`."""
    if command.name != "Where-Object" or len(command.arguments) != 1 or command.arguments[0].kind != "block":
        raise UnreadableText(f"not a Where-Object with one script block: {command}")
    match = CONSTANT_FILTER.match(command.arguments[0].text)
    if match is None:
        raise UnreadableText(f"the script block uses more than constant text: {command.arguments[0].text!r}")
    return match["property"], match["pattern"].replace("''", "'")
