"""The shapes of what a host answers, never its values: for `hvgui --diagnose`.

A diagnose report must be safe to share: it tells what a real host's objects look like (type names, the
`TypeNames` chain, property names and the kinds of their values, enum types with the names and numbers
seen) so that hvgui and its emulator can be checked against a host nobody on the project has. It must not
tell anything about the admin's estate. So values are never recorded, only their kind ("string", "int",
...). Names are the one exception that could slip through: a hashtable's keys, or a JSON key, are data. A
name is kept only when it looks like an identifier and is not a name the host reported about itself or a
VM (`Redactor.learn`); anything else becomes a salted hash whose salt is random per report and never
written, so the hash cannot be reversed by trying names.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from pypsrp.complex_objects import GenericComplexObject

#: A property, key or enum member name that is kept as is (when not learnt as sensitive).
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
#: An enum's text: one member name, or the ", "-joined names of a [Flags] enum.
_ENUM_TEXT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(, [A-Za-z_][A-Za-z0-9_]*)*$")
#: .NET and CIM type names: letters, digits and the punctuation of generic and CIM type names.
_TYPE_NAME = re.compile(r"^[A-Za-z0-9_.`\[\], =#/+-]{1,400}$")
#: How deep nested objects are described (pypsrp objects from a host are shallow: depth 1 by default).
MAX_DEPTH = 6


class Redactor:
    """Replaces names that could identify something by salted hashes (`h:` + 16 hex digits)."""

    def __init__(self, salt: bytes | None = None) -> None:
        self._salt = salt if salt is not None else secrets.token_bytes(32)
        self._sensitive: set[str] = set()

    def hash(self, text: str) -> str:
        digest = hmac.new(self._salt, text.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
        return "h:" + digest[:16]

    def learn(self, texts: Iterable[Any]) -> None:
        """Remember names the host reported (VM names and ids, its own name), so they are never kept."""
        for text in texts:
            if text is not None and str(text).strip():
                self._sensitive.add(str(text).strip().casefold())

    def is_sensitive(self, text: str) -> bool:
        return text.strip().casefold() in self._sensitive

    def name(self, text: Any) -> str:
        """A property or key name: kept when it is an identifier nobody reported as a name, else hashed."""
        value = str(text)
        if _IDENTIFIER.match(value) and not self.is_sensitive(value):
            return value
        return self.hash(value)

    def type_name(self, text: Any) -> str:
        value = str(text)
        return value if _TYPE_NAME.match(value) else self.hash(value)

    def enum_text(self, text: Any) -> str:
        value = str(text)
        return value if _ENUM_TEXT.match(value) else self.hash(value)


def value_kind(value: Any) -> str | None:
    """The kind of a scalar as pypsrp (or a JSON parser) gives it; None for containers and objects."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "string"
    if isinstance(value, uuid.UUID):
        return "guid"
    if isinstance(value, (bytes, bytearray)):
        return "bytes"
    return None


class Variants:
    """Every kind a value was seen with (a property can be an enum on one VM and null on another)."""

    def __init__(self) -> None:
        self.scalars: set[str] = set()
        self.refs: set[tuple[str, str]] = set()  # ("enum" | "object", type name)
        self.items: Variants | None = None  # list elements
        self.fields: dict[str, Variants] | None = None  # a record (JSON object with identifier keys)
        self.map_values: Variants | None = None  # a map (hashtable, or JSON object keyed by data)

    def to_json(self, redactor: Redactor) -> list[Any]:
        """The kinds as JSON; names are redacted now, when every name the host reported is known."""
        out: list[Any] = sorted(self.scalars)
        out.extend({kind: name} for kind, name in sorted(self.refs))
        if self.items is not None:
            out.append({"list": self.items.to_json(redactor)})
        if self.fields is not None:
            out.append({"record": redacted_names(self.fields, redactor)})
        if self.map_values is not None:
            out.append({"map": self.map_values.to_json(redactor)})
        return out


def redacted_names(fields: Mapping[str, Variants], redactor: Redactor) -> dict[str, list[Any]]:
    """Fields by redacted name, sorted; two names that hash alike cannot collide in practice (64 bits)."""
    return {redactor.name(k): v.to_json(redactor) for k, v in sorted(fields.items())}


class ShapeCatalog:
    """What the outputs of a host look like: object types, enums, and the shape of plain data (JSON)."""

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor
        self.types: dict[str, dict[str, Any]] = {}
        self.enums: dict[str, dict[str, int | None]] = {}

    def add(self, variants: Variants, value: Any, depth: int = 0, *, records: bool = False) -> None:
        """Record `value` into `variants` (and its object or enum type into the catalogue).

        A hashtable's keys are data (a map); a JSON object whose keys are all identifiers is a record
        (`records`, for JSON documents such as the inventory), whose key names are kept unless learnt.
        """
        kind = value_kind(value)
        if kind is not None:
            variants.scalars.add(kind)
        elif isinstance(value, GenericComplexObject):
            variants.refs.add(self._add_object(value, depth))
        elif isinstance(value, Mapping):
            keys = list(value)
            if records and keys and all(isinstance(k, str) and _IDENTIFIER.match(k) for k in keys):
                if variants.fields is None:
                    variants.fields = {}
                for key, item in value.items():
                    self.add(variants.fields.setdefault(key, Variants()), item, depth + 1, records=records)
            else:
                if variants.map_values is None:
                    variants.map_values = Variants()
                for item in value.values():
                    self.add(variants.map_values, item, depth + 1, records=records)
        elif isinstance(value, (list, tuple)):
            if variants.items is None:
                variants.items = Variants()
            for item in value:
                self.add(variants.items, item, depth + 1, records=records)
        else:
            variants.scalars.add("other")

    def outputs(self, values: Iterable[Any]) -> Variants:
        """The shape of a pipeline's output objects (one entry per kind); `to_json` it at the end."""
        variants = Variants()
        for value in values:
            self.add(variants, value)
        return variants

    def json_text(self, text: str) -> Variants:
        """The key structure and value kinds of a JSON document (e.g. the inventory string)."""
        variants = Variants()
        try:
            document = json.loads(text)
        except ValueError:
            variants.scalars.add("not json")
            return variants
        self.add(variants, document, records=True)
        return variants

    def to_json(self) -> dict[str, Any]:
        types = {}
        for name, entry in sorted(self.types.items()):
            types[name] = {
                "type_names": entry["type_names"],
                "instances": entry["instances"],
                "properties": redacted_names(entry["properties"], self.redactor),
            }
        enums = {name: dict(sorted(members.items())) for name, members in sorted(self.enums.items())}
        return {"types": types, "enums": enums}

    def _add_object(self, obj: GenericComplexObject, depth: int) -> tuple[str, str]:
        chain = [self.redactor.type_name(t) for t in (obj.types or [])]
        type_name = chain[0] if chain else "(no type name)"
        if "System.Enum" in chain:
            members = self.enums.setdefault(type_name, {})
            number = obj.property_sets[0] if obj.property_sets else None
            text = obj.to_string if obj.to_string is not None else str(number)
            members[self.redactor.enum_text(text)] = number if isinstance(number, int) else None
            return ("enum", type_name)
        entry = self.types.setdefault(type_name, {"type_names": chain, "instances": 0, "properties": {}})
        entry["instances"] += 1
        if depth >= MAX_DEPTH:
            return ("object", type_name)
        properties = {**(obj.adapted_properties or {}), **(obj.extended_properties or {})}
        for key, value in properties.items():
            self.add(entry["properties"].setdefault(str(key), Variants()), value, depth + 1)
        return ("object", type_name)


#: Properties whose values name the host, a VM, a checkpoint or a guest; `learn_names` feeds them to the
#: redactor, for the outputs of commands that list such things (not, e.g., integration services, whose
#: names are the host's own texts).
NAME_PROPERTIES = (
    "Name",
    "VMName",
    "Id",
    "VMId",
    "ComputerName",
    "ElementName",
    "SystemName",
    "FullyQualifiedDomainName",
    "HostName",
)


def learn_names(redactor: Redactor, values: Iterable[Any]) -> None:
    """Teach the redactor the names the host reported in these objects (VM and host names, ids)."""
    for value in values:
        if isinstance(value, GenericComplexObject):
            properties = {**(value.adapted_properties or {}), **(value.extended_properties or {})}
            redactor.learn(properties.get(name) for name in NAME_PROPERTIES)
