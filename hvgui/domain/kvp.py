"""Key-value pair exchange (KVP, "Data Exchange"): a VM's pools, the limits a pair must meet, and edits.

A pair is a key and a value, both strings. Each VM has four pools (hyperv-api.md §6.3): what the guest's
KVP service reports about itself (intrinsic: FQDN, OS, IP addresses...), what guest software published
(guest to host), what the host pushed into the guest (host to guest, the only pool an admin edits from the
host), and host-only items stored in the VM's configuration and never sent.

Limits (`check_pairs`) are those of the wire and of the host's methods: a key of at most 255 UTF-16 units
(512 bytes with the terminator), a value of at most 1,023 (2,048 bytes; a host-only value 8,191, 16 KB), no
NUL, unique keys, at most 128 host-only pairs. Control characters other than tab, line feed and carriage
return cannot travel in the XML the host's methods take, so they are refused too. Every message names the
limit and the pair. Exactly-at-limit values pass.

Edits (`changes_between`) are what differs between the pairs as loaded and as edited; `conflicts` finds
the pairs the host changed meanwhile, so nothing is overwritten silently.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

MAX_KEY_UNITS = 255
MAX_VALUE_UNITS = 1023
MAX_HOST_ONLY_VALUE_UNITS = 8191
#: Items per call of AddKvpItems / ModifyKvpItems / RemoveKvpItems (the host module batches larger edits);
#: also the most host-only pairs a VM can hold.
MAX_ITEMS_PER_CALL = 128
MAX_HOST_ONLY_PAIRS = 128

#: `Msvm_KvpExchangeComponent.OperationalStatus[0]` values that say the guest side does not answer.
STATUS_OK = 2
STATUS_NO_CONTACT = 12
STATUS_LOST_COMMUNICATION = 13
#: `Msvm_SummaryInformation.EnabledState` of a running VM.
ENABLED_STATE_RUNNING = 2
_ALLOWED_CONTROLS = frozenset("\t\n\r")


class Pool(enum.Enum):
    """A KVP pool, labelled in an admin's terms."""

    Intrinsic = "What the guest reports about itself"
    GuestToHost = "Published by software in the guest"
    HostToGuest = "Pushed by the host into the guest"
    HostOnly = "Host-only (stored in the VM's configuration, never sent)"

    @property
    def json_key(self) -> str:
        return _JSON_KEYS[self]


_JSON_KEYS = {
    Pool.Intrinsic: "intrinsic",
    Pool.GuestToHost: "guest",
    Pool.HostToGuest: "host",
    Pool.HostOnly: "hostOnly",
}


@dataclass(frozen=True)
class KvpPair:
    key: str
    value: str


@dataclass(frozen=True)
class VmKvp:
    """Every pool of one VM as the host reported it (`Get-HvGuiKvpPools`)."""

    vm_id: str  # lower case
    name: str
    enabled_state: int
    component_enabled: bool | None  # None: the host reported no setting data
    status: int | None  # OperationalStatus[0] of the runtime component; None while the VM does not run
    status_text: str
    intrinsic: tuple[KvpPair, ...] | None  # None while the VM does not run
    guest: tuple[KvpPair, ...] | None
    host: tuple[KvpPair, ...]
    host_only: tuple[KvpPair, ...]
    unreadable: int = 0

    def pool(self, pool: Pool) -> tuple[KvpPair, ...] | None:
        return {
            Pool.Intrinsic: self.intrinsic,
            Pool.GuestToHost: self.guest,
            Pool.HostToGuest: self.host,
            Pool.HostOnly: self.host_only,
        }[pool]

    def intrinsic_value(self, key: str) -> str | None:
        return next((p.value for p in self.intrinsic or () if p.key == key), None)

    @property
    def fqdn(self) -> str | None:
        return self.intrinsic_value("FullyQualifiedDomainName") or None

    @property
    def os_description(self) -> str | None:
        """`Windows Server 2022 Datacenter 10.0.20348` from OSName and OSVersion."""
        parts = [self.intrinsic_value("OSName") or "", self.intrinsic_value("OSVersion") or ""]
        text = " ".join(p for p in parts if p)
        return text or None

    @property
    def ip_addresses(self) -> tuple[str, ...]:
        """IPv4 then IPv6 addresses (each item is semicolon-separated)."""
        found: list[str] = []
        for key in ("NetworkAddressIPv4", "NetworkAddressIPv6"):
            found += [a.strip() for a in (self.intrinsic_value(key) or "").split(";") if a.strip()]
        return tuple(found)

    @property
    def host_map(self) -> dict[str, str]:
        return {p.key: p.value for p in self.host}

    def unavailable_reason(self) -> str | None:
        """Why the guest's pools are empty or stale, in a sentence; None when KVP works."""
        if self.enabled_state != ENABLED_STATE_RUNNING or self.intrinsic is None:
            return (
                "The VM is not running, so its Data Exchange component is absent: the guest reports nothing. "
                "Host-to-guest pairs can still be edited; the guest receives them when it runs."
            )
        if self.component_enabled is False:
            return (
                "The Data Exchange (KVP) integration service is disabled for this VM: nothing is exchanged with "
                "the guest. Enable it on the Integration Services tab."
            )
        if self.status == STATUS_NO_CONTACT:
            return (
                "No Contact: the guest's KVP service has never answered. A Linux guest needs hv_kvp_daemon "
                "(e.g. linux-cloud-tools on Ubuntu, hyperv-daemons on RHEL); a Windows guest the "
                "vmickvpexchange service."
            )
        if self.status == STATUS_LOST_COMMUNICATION:
            return "Lost Communication: the guest's KVP service stopped answering; what is shown may be stale."
        return None


def vm_kvp_from_json(row: Mapping[str, object]) -> VmKvp:
    """One row of `Get-HvGuiKvpPools` (schema v1); raises ValueError/KeyError/TypeError when it is not one."""

    def pairs(value: object) -> tuple[KvpPair, ...]:
        if not isinstance(value, list):
            raise TypeError("a pool is a list")
        return tuple(KvpPair(str(i["n"]), str(i["d"])) for i in value)

    intrinsic, guest = row.get("intrinsic"), row.get("guest")
    status = row.get("p")
    enabled = row.get("on")
    return VmKvp(
        vm_id=str(row["id"]).lower(),
        name=str(row["name"]),
        enabled_state=int(row["state"]),  # type: ignore[call-overload]
        component_enabled=None if enabled is None else bool(enabled),
        status=None if status is None else int(status),  # type: ignore[call-overload]
        status_text=str(row.get("pt") or ""),
        intrinsic=None if intrinsic is None else pairs(intrinsic),
        guest=None if guest is None else pairs(guest),
        host=pairs(row.get("host", [])),
        host_only=pairs(row.get("hostOnly", [])),
        unreadable=int(row.get("bad", 0) or 0),  # type: ignore[call-overload]
    )


# --- limits -------------------------------------------------------------------------------------------------


def utf16_units(text: str) -> int:
    """Length in UTF-16 code units (what the wire counts): an emoji outside the BMP is two."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class LimitProblem:
    key: str
    message: str


def _shown(key: str) -> str:
    """A key for a message: quoted, shortened, with control characters visible."""
    shown = "".join(chr(0x2400 + ord(c)) if ord(c) < 0x20 else c for c in key)
    return repr(shown[:40] + ("…" if len(shown) > 40 else ""))


def check_pair(key: str, value: str, *, host_only: bool = False) -> list[str]:
    """What is wrong with one pair, each problem a sentence naming the limit and the pair."""
    problems: list[str] = []
    name = _shown(key)
    if not key:
        problems.append("A key must not be empty.")
    key_units = utf16_units(key)
    if key_units > MAX_KEY_UNITS:
        problems.append(
            f"Key {name} is {key_units} UTF-16 characters long; a key may have at most {MAX_KEY_UNITS} "
            "(512 bytes with the terminator)."
        )
    limit = MAX_HOST_ONLY_VALUE_UNITS if host_only else MAX_VALUE_UNITS
    value_units = utf16_units(value)
    if value_units > limit:
        size = "16 KB" if host_only else "2,048 bytes"
        problems.append(
            f"The value of {name} is {value_units} UTF-16 characters long; a value may have at most {limit:,} "
            f"({size} with the terminator)."
        )
    for what, text in (("key", key), ("value", value)):
        if "\0" in text:
            problems.append(f"The {what} of {name} contains a NUL character, which KVP cannot carry.")
        elif any(ord(c) < 0x20 and c not in _ALLOWED_CONTROLS for c in text):
            problems.append(
                f"The {what} of {name} contains a control character other than tab or line break, which the "
                "host's KVP methods cannot carry."
            )
    return problems


def check_pairs(pairs: Iterable[tuple[str, str]], *, host_only: bool = False) -> list[LimitProblem]:
    """Every problem of a whole pool as it is to be: each pair's limits, and unique keys (a Windows guest
    keeps the pairs as registry values, whose names ignore case, so keys differing only in case clash too)."""
    found: list[LimitProblem] = []
    seen: dict[str, str] = {}
    count = 0
    for key, value in pairs:
        count += 1
        found += [LimitProblem(key, m) for m in check_pair(key, value, host_only=host_only)]
        folded = key.casefold()
        if folded in seen:
            earlier = seen[folded]
            detail = "twice" if earlier == key else f"and {_shown(earlier)} differ only in case"
            found.append(LimitProblem(key, f"Keys must be unique: {_shown(key)} {detail}."))
        else:
            seen[folded] = key
    if host_only and count > MAX_HOST_ONLY_PAIRS:
        found.append(LimitProblem("", f"A VM holds at most {MAX_HOST_ONLY_PAIRS} host-only pairs; this is {count}."))
    return found


# --- edits and conflicts --------------------------------------------------------------------------------------


class ChangeKind(enum.Enum):
    Add = "Add"
    Modify = "Modify"
    Remove = "Remove"


@dataclass(frozen=True)
class KvpChange:
    """One pair to add, modify or remove; `before` is its value as loaded (None when it was absent)."""

    kind: ChangeKind
    key: str
    value: str = ""
    before: str | None = None

    @property
    def description(self) -> str:
        if self.kind is ChangeKind.Remove:
            return f"Remove {_shown(self.key)}"
        return f"{self.kind.value} {_shown(self.key)}"


def changes_between(loaded: Mapping[str, str], edited: Sequence[tuple[str, str]]) -> list[KvpChange]:
    """The changes that turn `loaded` into `edited` (removals first, then changes and additions in the
    edited order); keys match exactly."""
    edited_map = dict(edited)
    changes = [KvpChange(ChangeKind.Remove, k, "", v) for k, v in loaded.items() if k not in edited_map]
    for key, value in edited:
        if key not in loaded:
            changes.append(KvpChange(ChangeKind.Add, key, value, None))
        elif loaded[key] != value:
            changes.append(KvpChange(ChangeKind.Modify, key, value, loaded[key]))
    return changes


@dataclass(frozen=True)
class Conflict:
    """A pair the admin changed that the host changed too since it was loaded."""

    key: str
    loaded: str | None  # None: absent when loaded
    on_host: str | None  # None: absent on the host now
    mine: str | None  # None: the admin removes it


def conflicts(loaded: Mapping[str, str], on_host: Mapping[str, str], changes: Iterable[KvpChange]) -> list[Conflict]:
    """The edited pairs whose value on the host is no longer the one loaded."""
    found = []
    for change in changes:
        before, now = loaded.get(change.key), on_host.get(change.key)
        if before != now:
            mine = None if change.kind is ChangeKind.Remove else change.value
            found.append(Conflict(change.key, before, now, mine))
    return found


def rebase(changes: Iterable[KvpChange], on_host: Mapping[str, str]) -> list[KvpChange]:
    """The admin's changes made to apply over what the host holds now ("keep mine"): an addition of a key
    the host has becomes a modification, a modification of a key it lost an addition, a removal of a key it
    lost is dropped, and a change that the host already has is dropped."""
    rebased = []
    for change in changes:
        present = change.key in on_host
        if change.kind is ChangeKind.Remove:
            if present:
                rebased.append(KvpChange(ChangeKind.Remove, change.key, "", on_host[change.key]))
            continue
        if present and on_host[change.key] == change.value:
            continue
        kind = ChangeKind.Modify if present else ChangeKind.Add
        rebased.append(KvpChange(kind, change.key, change.value, on_host.get(change.key)))
    return rebased
