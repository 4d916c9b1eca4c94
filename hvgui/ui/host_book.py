"""The saved hosts on disk: `hosts.json` in the platform config directory, read at start, rewritten atomically.

The document's format is `hvgui.domain.host_profiles`. A write goes to a temporary file beside the real one
and replaces it (`os.replace`), so a crash or a full disk never leaves half a list. A file that cannot be read
is kept aside as `hosts.json.unreadable` instead of being overwritten by the next save.

`HostBook(None)` keeps the list in memory only: the demo uses it, so `hvgui --demo` neither shows the admin's
saved hosts nor writes its own emulated ones into them (and window tests use it too).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import platformdirs

from hvgui.domain.host_profiles import HostProfile, ProfileDocumentError, from_document, to_document

log = logging.getLogger(__name__)

FILE_NAME = "hosts.json"


def default_path() -> Path:
    """`hosts.json` in the user's config directory (e.g. ~/.config/hvgui, %LOCALAPPDATA%\\hvgui)."""
    return Path(platformdirs.user_config_dir("hvgui", appauthor=False)) / FILE_NAME


def write_document(path: Path, profiles: Iterable[HostProfile]) -> None:
    """Write the profiles to `path` atomically (temporary file in the same folder, then replace)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(to_document(profiles), indent=2, ensure_ascii=False) + "\n"
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def read_document(path: Path) -> list[HostProfile]:
    """The profiles in `path` (raises OSError, or ProfileDocumentError for a file that is not a host list)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ProfileDocumentError(f"{path.name} is not valid JSON: {exc}") from None
    return from_document(data)


class HostBook:
    """The list of saved hosts, in order, kept in `path` (or in memory only when `path` is None)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._profiles: dict[str, HostProfile] = {}
        #: Why the file could not be read at load, for the window to say (None when it was fine or absent).
        self.load_problem: str | None = None

    @classmethod
    def default(cls) -> HostBook:
        book = cls(default_path())
        book.load()
        return book

    def load(self) -> None:
        if self.path is None or not self.path.exists():
            return
        try:
            profiles = read_document(self.path)
        except (OSError, ProfileDocumentError) as exc:
            self.load_problem = f"The saved hosts could not be read ({exc}); the file was kept aside."
            log.warning("%s", self.load_problem)
            with contextlib.suppress(OSError):
                os.replace(self.path, self.path.with_name(self.path.name + ".unreadable"))
            return
        self._profiles = {p.key: p for p in profiles}

    def save(self) -> None:
        if self.path is not None:
            write_document(self.path, self._profiles.values())

    # ---- the list ------------------------------------------------------------------------------

    def profiles(self) -> list[HostProfile]:
        return list(self._profiles.values())

    def get(self, key: str) -> HostProfile | None:
        return self._profiles.get(key)

    def __contains__(self, key: object) -> bool:
        return key in self._profiles

    def put(self, profile: HostProfile, *, replacing: str | None = None) -> None:
        """Add or update a profile (keeping its place); `replacing` is its old key when its address changed."""
        old = replacing if replacing in self._profiles else profile.key
        updated: dict[str, HostProfile] = {}
        for key, saved in self._profiles.items():
            if key == old:
                updated[profile.key] = profile
            elif key != profile.key:  # a profile already at the new address is replaced
                updated[key] = saved
        updated.setdefault(profile.key, profile)
        self._profiles = updated
        self.save()

    def remove(self, key: str) -> HostProfile | None:
        profile = self._profiles.pop(key, None)
        if profile is not None:
            self.save()
        return profile

    def set_connect_at_start(self, key: str, value: bool) -> None:
        profile = self._profiles.get(key)
        if profile is not None and profile.connect_at_start != value:
            self._profiles[key] = HostProfile(profile.settings, profile.groups, value, profile.pinned_sha256)
            self.save()

    def groups(self) -> list[str]:
        """Every group in use, sorted."""
        return sorted({g for p in self._profiles.values() for g in p.groups}, key=str.casefold)

    def merge(self, profiles: Iterable[HostProfile]) -> int:
        """Import: add the profiles not saved yet (a saved host is left as it is); returns how many were added."""
        added = 0
        for profile in profiles:
            if profile.key not in self._profiles:
                self._profiles[profile.key] = profile
                added += 1
        if added:
            self.save()
        return added

    def export(self, path: Path, keys: Iterable[str] | None = None) -> int:
        """Export: write the profiles (all, or those of `keys`) to `path`; the document never holds a secret."""
        wanted = set(keys) if keys is not None else None
        chosen = [p for p in self._profiles.values() if wanted is None or p.key in wanted]
        write_document(path, chosen)
        return len(chosen)
