"""A VM's key-value pools as JSON and CSV, and host-to-guest pairs imported from JSON.

Exports keep every value exactly (line breaks, control and bidi characters included: JSON escapes them, CSV
quotes them), so an export can be compared or imported again. The JSON export is also the import format: its
`pools.host_to_guest` list is what `import_host_pairs` reads. A plain object `{"key": "value", ...}` or a list
of `{"key", "value"}` objects is accepted too. Imported pairs are checked against the KVP limits before they
become edits.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from typing import Any

from hvgui.domain.kvp import KvpPair, LimitProblem, Pool, VmKvp, check_pairs

FORMAT = "hvgui-kvp"
FORMAT_VERSION = 1
_POOL_NAMES = {
    Pool.Intrinsic: "intrinsic",
    Pool.GuestToHost: "guest_to_host",
    Pool.HostToGuest: "host_to_guest",
    Pool.HostOnly: "host_only",
}


def to_json(kvp: VmKvp, *, host: str, exported_at: str) -> str:
    pools: dict[str, Any] = {}
    for pool, name in _POOL_NAMES.items():
        pairs = kvp.pool(pool)
        pools[name] = None if pairs is None else [{"key": p.key, "value": p.value} for p in pairs]
    document = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "host": host,
        "vm": {"id": kvp.vm_id, "name": kvp.name},
        "exported_at": exported_at,
        "pools": pools,
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def to_csv(kvp: VmKvp) -> str:
    """`pool,key,value` rows (a pool the host did not report has no rows)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["pool", "key", "value"])
    for pool, name in _POOL_NAMES.items():
        for pair in kvp.pool(pool) or ():
            writer.writerow([name, pair.key, pair.value])
    return buffer.getvalue()


class KvpImportError(ValueError):
    """The file is not something hvgui can import, or its pairs break the limits (`problems`)."""

    def __init__(self, message: str, problems: list[LimitProblem] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


def import_host_pairs(text: str) -> list[KvpPair]:
    """Host-to-guest pairs from a JSON document; raises `KvpImportError` with the reason."""
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise KvpImportError(f"The file is not JSON: {exc}.") from None
    items: Any
    if isinstance(document, Mapping) and document.get("format") == FORMAT:
        items = (document.get("pools") or {}).get("host_to_guest")
        if items is None:
            raise KvpImportError("The export holds no host-to-guest pairs.")
    else:
        items = document
    pairs: list[KvpPair] = []
    if isinstance(items, Mapping):
        for key, value in items.items():
            if not isinstance(value, str):
                raise KvpImportError(f"The value of {key!r} is not a string; KVP values are strings only.")
            pairs.append(KvpPair(str(key), value))
    elif isinstance(items, list):
        for index, item in enumerate(items, 1):
            if not isinstance(item, Mapping) or not isinstance(item.get("key"), str):
                raise KvpImportError(f'Item {index} is not an object with a string "key".')
            value = item.get("value", "")
            if not isinstance(value, str):
                raise KvpImportError(f"The value of {item['key']!r} is not a string; KVP values are strings only.")
            pairs.append(KvpPair(item["key"], value))
    else:
        raise KvpImportError('Expected an object of key-value pairs or a list of {"key", "value"} objects.')
    problems = check_pairs([(p.key, p.value) for p in pairs])
    if problems:
        raise KvpImportError("The file's pairs break the KVP limits.", problems)
    return pairs
