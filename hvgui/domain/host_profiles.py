"""Saved hosts: what hvgui remembers about each host between runs, and the versioned document they are kept in.

A `HostProfile` is a host's `ConnectionSettings` plus what only the admin knows about it: the groups it is
filed under ("Prod", "Lab"), whether it opens at start, and the SHA-256 fingerprint of a certificate the admin
chose to trust. It never holds a secret: passwords live in the operating system's keyring.

The document (`hosts.json` in the platform config directory) looks like this::

    {
      "format": "hvgui-hosts",
      "version": 2,
      "hosts": [
        {"name": "HV01", "uri": "https://hv01.example.com:5986/wsman", "auth": "negotiate",
         "user": "CORP\\\\admin", "verify_certificate": true, "ca_file": null, "pinned_sha256": null,
         "groups": ["Prod"], "connect_at_start": true}
      ]
    }

`uri` is `http[s]://host[:port]/wsman` (never with a user or password in it). Version 1 (development builds)
kept one `group` string per host; it is read and upgraded. A newer version than this build knows is refused
rather than half-read and then overwritten. Any key that looks like a secret is dropped on reading, so an
imported file from elsewhere cannot smuggle a password into the file hvgui writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from hvgui.domain.connection import AuthMethod, ConnectionSettings, parse_host_uri

FORMAT = "hvgui-hosts"
#: The version this build writes.
VERSION = 2
#: Keys that are never read from a document nor written to one.
SECRET_KEYS = frozenset({"password", "passwd", "secret", "token", "credential", "credentials"})


class ProfileDocumentError(ValueError):
    """The document cannot be read: not a saved-hosts document, a newer version, or a broken entry."""


@dataclass(frozen=True)
class HostProfile:
    """One saved host. The settings identify it (`key`); the rest is the admin's filing."""

    settings: ConnectionSettings
    groups: tuple[str, ...] = ()
    connect_at_start: bool = False
    #: SHA-256 of the host certificate the admin trusts for this host (hex, colon separated), or None.
    pinned_sha256: str | None = None

    @property
    def key(self) -> str:
        return self.settings.key

    @property
    def label(self) -> str:
        return self.settings.label


def clean_groups(groups: Iterable[str]) -> tuple[str, ...]:
    """Groups as typed ("Prod, Lab"): stripped, without empties or repeats (first spelling wins)."""
    seen: dict[str, str] = {}
    for group in groups:
        name = " ".join(group.split())
        if name and name.casefold() not in seen:
            seen[name.casefold()] = name
    return tuple(seen.values())


def parse_groups(text: str) -> tuple[str, ...]:
    return clean_groups(text.split(","))


def duplicate_name(profile: HostProfile, taken: Iterable[str]) -> str:
    """A display name for a copy: "HV01 (copy)", "HV01 (copy 2)", … not in `taken`."""
    names = {name.casefold() for name in taken}
    base = f"{profile.label} (copy)"
    name, number = base, 2
    while name.casefold() in names:
        name = f"{profile.label} (copy {number})"
        number += 1
    return name


# ---- the document ----------------------------------------------------------------------------------------


def profile_to_dict(profile: HostProfile) -> dict[str, Any]:
    s = profile.settings
    scheme = "https" if s.use_https else "http"
    host = f"[{s.host}]" if ":" in s.host else s.host
    return {
        "name": s.display_name,
        "uri": f"{scheme}://{host}:{s.port}/wsman",
        "auth": s.auth.value,
        "user": s.username,
        "verify_certificate": s.verify_certificate,
        "ca_file": s.ca_file,
        "pinned_sha256": profile.pinned_sha256,
        "groups": list(profile.groups),
        "connect_at_start": profile.connect_at_start,
    }


def to_document(profiles: Iterable[HostProfile]) -> dict[str, Any]:
    """The document for these profiles, at the current version."""
    return {"format": FORMAT, "version": VERSION, "hosts": [profile_to_dict(p) for p in profiles]}


def from_document(data: object) -> list[HostProfile]:
    """Profiles from a document of any known version (older ones are upgraded); duplicates keep the first."""
    if not isinstance(data, Mapping) or data.get("format") != FORMAT:
        raise ProfileDocumentError("This is not a list of hvgui hosts.")
    version = data.get("version")
    if not isinstance(version, int) or version < 1:
        raise ProfileDocumentError(f"Unknown version {version!r} of the list of hosts.")
    if version > VERSION:
        raise ProfileDocumentError(
            f"The list of hosts was written by a newer hvgui (version {version}; this one reads up to {VERSION})."
        )
    hosts = data.get("hosts", [])
    if not isinstance(hosts, list):
        raise ProfileDocumentError("'hosts' must be a list.")
    profiles: dict[str, HostProfile] = {}
    for number, entry in enumerate(hosts, start=1):
        if not isinstance(entry, Mapping):
            raise ProfileDocumentError(f"Host {number} is not an object.")
        entry = {k: v for k, v in entry.items() if str(k).casefold() not in SECRET_KEYS}
        if version == 1:
            entry = _upgrade_v1(entry)
        try:
            profile = _profile_from_dict(entry)
        except (ValueError, TypeError) as exc:
            raise ProfileDocumentError(f"Host {number}: {exc}") from None
        profiles.setdefault(profile.key, profile)
    return list(profiles.values())


def _upgrade_v1(entry: Mapping[str, Any]) -> dict[str, Any]:
    """Version 1 filed a host under one `group` string and called connect-at-start `autoconnect`."""
    upgraded = dict(entry)
    group = upgraded.pop("group", None)
    upgraded["groups"] = [group] if isinstance(group, str) and group else []
    if "autoconnect" in upgraded:
        upgraded["connect_at_start"] = upgraded.pop("autoconnect")
    return upgraded


def _profile_from_dict(entry: Mapping[str, Any]) -> HostProfile:
    uri = entry.get("uri")
    if not isinstance(uri, str):
        raise ValueError("no 'uri'")
    auth_text = entry.get("auth", AuthMethod.Negotiate.value)
    try:
        auth = AuthMethod(auth_text)
    except ValueError:
        raise ValueError(f"unknown authentication {auth_text!r}") from None
    parsed = parse_host_uri(uri, auth=auth)
    user = entry.get("user", parsed.username) or ""
    ca_file = entry.get("ca_file") or None
    groups = entry.get("groups", [])
    pinned = entry.get("pinned_sha256") or None
    if not isinstance(user, str) or not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
        raise TypeError("'user' must be text and 'groups' a list of text")
    if ca_file is not None and not isinstance(ca_file, str):
        raise TypeError("'ca_file' must be text")
    if pinned is not None and not isinstance(pinned, str):
        raise TypeError("'pinned_sha256' must be text")
    settings = replace(
        parsed,
        username=user,
        display_name=str(entry.get("name") or ""),
        verify_certificate=bool(entry.get("verify_certificate", True)),
        ca_file=ca_file,
    )
    return HostProfile(
        settings=settings,
        groups=clean_groups(groups),
        connect_at_start=bool(entry.get("connect_at_start", False)),
        pinned_sha256=pinned,
    )
