"""`CimInstance`: one instance of a `root/virtualization/v2` class, and how it travels over PSRP.

Inside the emulator an instance is a plain record (class, key, property values), cheap enough that a
1,000-VM host can enumerate its integration components in bulk. Only what reaches the client is turned into
a serialized object, the way PowerShell's CIM adapter writes one (hyperv-cim-winrm.md §4): `<TN>` lists every
class of the chain with its namespace, then without, then `Microsoft.Management.Infrastructure.CimInstance`
and `System.Object`; `<ToString>` is the class name; `<Props>` holds every property of the class as its CIM
type (unrequested ones `$null`) plus `PSComputerName`.
"""

from __future__ import annotations

import datetime
import functools
from typing import Any

from psrpcore.types import PSDateTime, PSInt, PSNoteProperty, PSObject, PSType, PSUInt, PSUInt16, PSUInt64

from ..types import net_array
from .schema import NAMESPACE, CimClass

CIM_TYPE_NAME = "Microsoft.Management.Infrastructure.CimInstance"
_SCALARS: dict[str, Any] = {
    "uint16": PSUInt16,
    "uint32": PSUInt,
    "uint64": PSUInt64,
    "sint32": PSInt,
    "string": str,
    "boolean": bool,
}
_ARRAY_ELEMENTS = {
    "uint16": "System.UInt16",
    "uint32": "System.UInt32",
    "string": "System.String",
}


class CimInstance:
    """An instance as the emulator's CIM cmdlets return it. `values` holds the properties that were read."""

    __slots__ = ("cim_class", "computer_name", "values")

    def __init__(self, cim_class: CimClass, values: dict[str, Any], computer_name: str | None = None) -> None:
        self.cim_class = cim_class
        self.values = values
        self.computer_name = computer_name

    @property
    def class_name(self) -> str:
        return self.cim_class.name

    def get(self, name: str) -> Any:
        """A property by case-insensitive name ($null when not read or not defined), like `$i.Name`."""
        if name in self.values:
            return self.values[name]
        canonical = self.cim_class.canonical(name)
        return self.values.get(canonical) if canonical else None

    def __repr__(self) -> str:
        key = self.cim_class.key
        return f"CimInstance({self.class_name}, {key}={self.values.get(key)!r})"

    def to_psobject(self) -> PSObject:
        return to_psobject(self)


def type_names(cim_class: CimClass, namespace: str = NAMESPACE) -> list[str]:
    """The `<TN>` chain of a serialized instance (hyperv-cim-winrm.md §4)."""
    chain = cim_class.chain
    return [
        *(f"{CIM_TYPE_NAME}#{namespace}/{c}" for c in chain),
        *(f"{CIM_TYPE_NAME}#{c}" for c in chain),
        CIM_TYPE_NAME,
    ]


@functools.cache
def _ps_class(cim_class: CimClass) -> type[PSObject]:
    @PSType(
        type_names(cim_class),
        adapted_properties=[PSNoteProperty(n) for n, _ in cim_class.properties] + [PSNoteProperty("PSComputerName")],
        rehydrate=False,
    )
    class _Instance(PSObject):
        pass

    _Instance.__name__ = cim_class.name
    return _Instance


def _typed(value: Any, cim_type: str) -> Any:
    if value is None:
        return None
    if cim_type.endswith("[]"):
        element = cim_type.removesuffix("[]")
        items = [_typed(v, element) for v in value]
        return net_array(_ARRAY_ELEMENTS.get(element, "System.Object"), items)
    if cim_type == "datetime" and isinstance(value, datetime.datetime):
        return PSDateTime(
            value.year, value.month, value.day, value.hour, value.minute, value.second, value.microsecond, value.tzinfo
        )
    factory = _SCALARS.get(cim_type)
    return factory(value) if factory is not None else value


def to_psobject(instance: CimInstance) -> PSObject:
    cim_class = instance.cim_class
    obj = _ps_class(cim_class)()
    meta = obj.PSObject
    types = dict(cim_class.properties)
    for prop in meta.adapted_properties:
        if prop.name == "PSComputerName":
            prop.set_value(instance.computer_name, obj)
        else:
            prop.set_value(_typed(instance.values.get(prop.name), types[prop.name]), obj)
    meta.to_string = cim_class.name
    return obj
