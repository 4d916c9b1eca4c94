"""The operating system inside an emulated VM: what it runs, how it boots and hangs, its KVP pools and its
files (its clock is in `timesync`).

The guest decides what the host can see of it. A Windows guest runs every `vmic*` service and reports
application health; a Linux guest answers Heartbeat, Shutdown and Time Synchronization from the kernel's
`hv_utils` but needs user-space daemons for KVP (`hv_kvp_daemon`), VSS (`hv_vss_daemon`) and file copy
(`hv_fcopy_uio_daemon`); without them the host shows `No Contact` (genuine Ubuntu 24.04 sample). Everything
is a function of the VM's uptime, so time can be injected and nothing runs in the background.
"""

from __future__ import annotations

import ntpath
import posixpath
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from . import components as ic

#: The account a scenario's Windows guests have unless it names another (`guest_credentials`); the README's
#: emulator section documents it for the demo.
DEFAULT_GUEST_USER = ".\\Administrator"
DEFAULT_GUEST_PASSWORD = "Guest-Demo-1!"

KVP_DAEMON = "hv_kvp_daemon"
VSS_DAEMON = "hv_vss_daemon"
FCOPY_DAEMON = "hv_fcopy_uio_daemon"
LINUX_DAEMONS = frozenset({KVP_DAEMON, VSS_DAEMON, FCOPY_DAEMON})


@dataclass(frozen=True)
class OsProfile:
    """What a guest operating system reports and how long it takes to boot and shut down."""

    key: str
    family: str  # "windows" | "linux"
    os_name: str  # KVP OSName (Windows: the registry ProductName; Linux: NAME= of /etc/os-release)
    os_version: str  # KVP OSVersion
    build_number: str  # KVP OSBuildNumber (Linux: the kernel release)
    major_version: str
    minor_version: str
    integration_services_version: str
    boot_seconds: float  # from power-on until the heartbeat service answers
    shutdown_seconds: float  # a clean guest shutdown
    edition_id: str = ""  # KVP OSEditionId (GetProductInfo SKU), Windows only
    product_type: str = ""  # 1 workstation, 2 domain controller, 3 server; Windows only
    default_daemons: frozenset[str] = frozenset()  # Linux daemons running in a default install
    vss_protocol_mismatch: bool = False  # the VSS daemon speaks an older protocol (genuine Ubuntu 24.04 sample)

    @property
    def is_windows(self) -> bool:
        return self.family == "windows"


_WINDOWS = dict(family="windows", major_version="10", minor_version="0", default_daemons=frozenset())

OS_PROFILES: dict[str, OsProfile] = {
    p.key: p
    for p in (
        OsProfile(
            key="windows-server-2022",
            os_name="Windows Server 2022 Datacenter",
            os_version="10.0.20348",
            build_number="20348",
            integration_services_version="10.0.20348.1",
            boot_seconds=35,
            shutdown_seconds=12,
            edition_id="8",
            product_type="3",
            **_WINDOWS,
        ),
        OsProfile(
            key="windows-server-2019",
            os_name="Windows Server 2019 Standard",
            os_version="10.0.17763",
            build_number="17763",
            integration_services_version="10.0.17763.1",
            boot_seconds=40,
            shutdown_seconds=14,
            edition_id="7",
            product_type="3",
            **_WINDOWS,
        ),
        OsProfile(
            # Windows 11 still writes "Windows 10 ..." into the registry ProductName that KVP reports.
            key="windows-11",
            os_name="Windows 10 Enterprise",
            os_version="10.0.22631",
            build_number="22631",
            integration_services_version="10.0.22621.1",
            boot_seconds=30,
            shutdown_seconds=10,
            edition_id="4",
            product_type="1",
            **_WINDOWS,
        ),
        OsProfile(
            key="windows-10",
            os_name="Windows 10 Enterprise",
            os_version="10.0.19045",
            build_number="19045",
            integration_services_version="10.0.19041.1",
            boot_seconds=30,
            shutdown_seconds=10,
            edition_id="4",
            product_type="1",
            **_WINDOWS,
        ),
        OsProfile(
            key="ubuntu-24.04",
            family="linux",
            os_name="Ubuntu",
            os_version="6.8.0",
            build_number="6.8.0-45-generic",
            major_version="24.04",
            minor_version="",
            integration_services_version="6.8.0-45-generic",
            boot_seconds=15,
            shutdown_seconds=5,
            default_daemons=frozenset(),  # linux-cloud-tools is not installed by default
            vss_protocol_mismatch=True,
        ),
        OsProfile(
            key="ubuntu-22.04",
            family="linux",
            os_name="Ubuntu",
            os_version="5.15.0",
            build_number="5.15.0-119-generic",
            major_version="22.04",
            minor_version="",
            integration_services_version="5.15.0-119-generic",
            boot_seconds=15,
            shutdown_seconds=5,
            default_daemons=frozenset({KVP_DAEMON, VSS_DAEMON}),
        ),
        OsProfile(
            key="rhel-9",
            family="linux",
            os_name="Red Hat Enterprise Linux",
            os_version="5.14.0",
            build_number="5.14.0-427.13.1.el9_4.x86_64",
            major_version="9.4",
            minor_version="",
            integration_services_version="5.14.0-427.13.1.el9_4.x86_64",
            boot_seconds=20,
            shutdown_seconds=6,
            default_daemons=LINUX_DAEMONS,  # the hyperv-daemons package
        ),
    )
}

#: Which guest-side program answers each integration component.
_WINDOWS_SERVICE = {s.ic_guid: s.windows_service for s in ic.INTEGRATION_COMPONENTS}
_LINUX_PROVIDER = {
    ic.HEARTBEAT.ic_guid: None,  # hv_utils, in the kernel
    ic.SHUTDOWN.ic_guid: None,
    ic.TIME_SYNC.ic_guid: None,
    ic.KVP.ic_guid: KVP_DAEMON,
    ic.VSS.ic_guid: VSS_DAEMON,
    ic.GUEST_SERVICE_INTERFACE.ic_guid: FCOPY_DAEMON,
}


@dataclass(frozen=True)
class HangSchedule:
    """Periodic windows in which the guest stops answering (a busy or stuck guest), counted in uptime."""

    every: float  # seconds between the starts of two hangs
    duration: float  # seconds each hang lasts
    first_after: float = 0.0  # seconds of uptime after boot before the first hang

    def is_hung(self, seconds_since_boot: float) -> bool:
        t = seconds_since_boot - self.first_after
        return t >= 0 and (t % self.every) < self.duration


@dataclass(frozen=True)
class GuestConfig:
    """One guest as a scenario describes it."""

    os: OsProfile
    hostname: str
    domain: str = ""
    ipv4: tuple[str, ...] = ()
    ipv6: tuple[str, ...] = ()
    daemons: frozenset[str] = frozenset()  # Linux: the daemons that run
    stopped_services: frozenset[str] = frozenset()  # Windows: vmic* services that do not run
    hang: HangSchedule | None = None
    applications_critical: bool = False  # Windows application health reports a critical application
    domain_controller: bool = False
    clock_offset: float = 0.0  # seconds the guest clock is off when it runs without time sync
    clock_drift_ppm: float = 0.0  # how fast it drifts then (parts per million)
    hv_utils: bool = True  # Linux: the hv_utils kernel module is loaded (it answers every component's kernel side)
    #: The guest's local administrator account (PowerShell Direct signs in with it): user name, password.
    account: tuple[str, str] = field(default=(DEFAULT_GUEST_USER, DEFAULT_GUEST_PASSWORD), repr=False)

    @property
    def fqdn(self) -> str:
        return f"{self.hostname}.{self.domain}" if self.domain else self.hostname

    def accepts(self, user: str, password: str) -> bool:
        """Whether the guest signs this account in: the user as `.\\name`, `name` or `HOSTNAME\\name`
        (case-insensitive, as Windows compares account names), the password exactly. A Linux guest signs no one
        in through PowerShell Direct."""
        if not self.os.is_windows:
            return False
        domain, _, name = user.rpartition("\\")
        expected = self.account[0].rpartition("\\")[2]
        local = domain in ("", ".") or domain.casefold() == self.hostname.casefold()
        return local and name.casefold() == expected.casefold() and password == self.account[1]

    def runs_service_for(self, ic_guid: str) -> bool:
        """Whether the guest has the program that answers this integration component."""
        if self.os.is_windows:
            return _WINDOWS_SERVICE[ic_guid] not in self.stopped_services
        if not self.hv_utils:
            return False  # hv_utils carries heartbeat, shutdown, time sync and the kernel side of the daemons
        daemon = _LINUX_PROVIDER[ic_guid]
        return daemon is None or daemon in self.daemons

    def with_service_running(self, ic_guid: str, running: bool) -> GuestConfig:
        """The same guest with the program behind one component started or stopped (`systemctl`, `sc.exe`)."""
        if self.os.is_windows:
            service = _WINDOWS_SERVICE[ic_guid]
            stopped = self.stopped_services - {service} if running else self.stopped_services | {service}
            return replace(self, stopped_services=stopped)
        daemon = _LINUX_PROVIDER[ic_guid]
        if daemon is None:  # heartbeat, shutdown and time sync live in hv_utils: loading or unloading it
            return replace(self, hv_utils=running)
        daemons = self.daemons | {daemon} if running else self.daemons - {daemon}
        return replace(self, daemons=daemons)

    def reports_application_health(self) -> bool:
        """Windows guests report application health; Linux guests never do (`OkApplicationsUnknown`)."""
        return self.os.is_windows


class KvpPools:
    """The key-value pairs exchanged with one guest, by pool (`hv_kvp_exchg_pool` numbering).

    Pool 0 (External) holds what the host pushed to the guest, pool 1 (Guest) what guest software pushed
    to the host, pool 2 (Auto) the intrinsic items the guest service generates, pool 3 (Auto External)
    the host's automatic items; host-only items (Source 4) never reach the guest.
    """

    def __init__(self, guest: GuestConfig, *, host_name: str, host_fqdn: str, vm_name: str, vm_id: str) -> None:
        self.guest_config = guest
        #: The intrinsic items as the host last received them (`GuestIntrinsicExchangeItems`); stale while
        #: the guest does not answer, empty while the component is off, disabled or never reached.
        self.last_reported: dict[str, str] = {}
        #: The same for pool 1 (`GuestExchangeItems`).
        self.last_published: dict[str, str] = {}
        #: Pool 0 as the guest holds it: the host's items as last delivered (`kvp.deliver`).
        self.external: dict[str, str] = {}
        self.guest: dict[str, str] = {}
        #: `HostExchangeItems` (Source 0) and `HostOnlyItems` (Source 4) in the VM's configuration.
        self.host_items: dict[str, str] = {}
        self.host_only: dict[str, str] = {}
        #: Guest-to-host keys whose value guest software rewrites every `ticking[key]` seconds of uptime.
        self.ticking: dict[str, float] = {}
        #: Every KVP job of this VM fails (a scenario's fault).
        self.fail_jobs = False
        # The host-intrinsic keys public scripts read from Guest\Parameters; the full list is not documented.
        self.auto_external: dict[str, str] = {
            "HostName": host_fqdn,
            "PhysicalHostName": host_name,
            "PhysicalHostNameFullyQualified": host_fqdn,
            "VirtualMachineId": vm_id.upper(),
            "VirtualMachineName": vm_name,
        }

    def guest_items(self, uptime: float) -> dict[str, str]:
        """Pool 1: what guest software published, with the ticking items' values at `uptime` seconds."""
        items = dict(self.guest)
        for key, every in self.ticking.items():
            items[key] = str(int(uptime // every)) if every > 0 else "0"
        return items

    def intrinsic(self) -> dict[str, str]:
        """Pool 2: what the guest's KVP service reports about itself (Linux serves only items 0-9)."""
        g = self.guest_config
        os = g.os
        common = {
            "FullyQualifiedDomainName": g.fqdn,
            "IntegrationServicesVersion": os.integration_services_version,
            "NetworkAddressIPv4": ";".join(g.ipv4),
            "NetworkAddressIPv6": ";".join(g.ipv6),
            "OSBuildNumber": os.build_number,
            "OSName": os.os_name,
            "OSMajorVersion": os.major_version,
            "OSMinorVersion": os.minor_version,
            "OSVersion": os.os_version,
        }
        if not os.is_windows:
            return {**common, "ProcessorArchitecture": "x86_64"}
        return {
            **common,
            "CSDVersion": "",
            "OSEditionId": os.edition_id,
            "OSPlatformId": "2",
            "ProcessorArchitecture": "9",  # PROCESSOR_ARCHITECTURE_AMD64
            "ProductType": "2" if g.domain_controller else os.product_type,
            "RDPAddressIPv4": ";".join(g.ipv4),
            "RDPAddressIPv6": ";".join(g.ipv6),
            "ServicePackMajor": "0",
            "ServicePackMinor": "0",
            "SuiteMask": "400" if os.product_type == "3" else "256",
        }


class FileSystem:
    """A guest's (or host's) files: a dict of normalized paths, directories implied or explicit.

    Windows paths are case-insensitive and use backslashes; Linux paths are case-sensitive.
    """

    def __init__(
        self, *, windows: bool, directories: tuple[str, ...] = (), clock: Callable[[], float] = time.time
    ) -> None:
        self.windows = windows
        #: key -> (path as written, content); a file written in pieces (`write_at`) grows as a bytearray.
        self._files: dict[str, tuple[str, bytes | bytearray]] = {}
        self._dirs: dict[str, str] = {}
        #: key -> last write time (seconds since the epoch, UTC), `LastWriteTimeUtc`, stamped when written or made.
        self._modified: dict[str, float] = {}
        #: key -> the attributes a listing reports besides Directory: "hidden", "system".
        self._attributes: dict[str, frozenset[str]] = {}
        #: Keys of folders the guest's account may not list (`UnauthorizedAccessException`).
        self._denied: set[str] = set()
        self.clock = clock
        for d in directories:
            self.make_dirs(d)

    def _norm(self, path: str) -> str:
        if self.windows:
            p = path.replace("/", "\\").rstrip("\\")
            if len(p) == 2 and p[1] == ":":
                p += "\\"
            return p.casefold()
        return posixpath.normpath(path)

    def _parent(self, path: str) -> str:
        if self.windows:
            p = path.replace("/", "\\").rstrip("\\")
            head = p.rsplit("\\", 1)[0]
            return head + "\\" if len(head) == 2 and head[1] == ":" else head
        return posixpath.dirname(posixpath.normpath(path))

    def make_dirs(self, path: str) -> None:
        while path and self._norm(path) not in self._dirs:
            self._dirs[self._norm(path)] = path
            self._modified[self._norm(path)] = self.clock()
            parent = self._parent(path)
            if parent == path or self._norm(parent) == self._norm(path):
                break
            path = parent

    def is_dir(self, path: str) -> bool:
        return self._norm(path) in self._dirs

    def exists(self, path: str) -> bool:
        key = self._norm(path)
        return key in self._files or key in self._dirs

    def read(self, path: str) -> bytes:
        try:
            return bytes(self._files[self._norm(path)][1])
        except KeyError:
            raise FileNotFoundError(path) from None

    def size(self, path: str) -> int:
        """The length of a file in bytes (FileNotFoundError when there is none)."""
        try:
            return len(self._files[self._norm(path)][1])
        except KeyError:
            raise FileNotFoundError(path) from None

    def write_at(self, path: str, offset: int, data: bytes) -> int:
        """Write `data` at `offset` of a file (created when missing, its folder must exist) and cut it there:
        the file becomes its first `offset` bytes followed by `data`. Returns the new length.

        ValueError when `offset` lies past the end: a file written in pieces never has holes.
        """
        key = self._norm(path)
        if key in self._dirs:
            raise IsADirectoryError(path)
        parent = self._parent(path)
        if parent and not self.is_dir(parent):
            raise FileNotFoundError(parent)
        written, content = self._files.get(key, (path, bytearray()))
        if offset > len(content):
            raise ValueError(offset)
        if not isinstance(content, bytearray):
            content = bytearray(content)
        del content[offset:]
        content += data
        self._files[key] = (written, content)
        self._modified[key] = self.clock()
        return len(content)

    def write(self, path: str, data: bytes, *, overwrite: bool = True, create_parents: bool = True) -> None:
        key = self._norm(path)
        if key in self._dirs:
            raise IsADirectoryError(path)
        if key in self._files and not overwrite:
            raise FileExistsError(path)
        parent = self._parent(path)
        if parent and not self.is_dir(parent):
            if not create_parents:
                raise FileNotFoundError(parent)
            self.make_dirs(parent)
        self._files[key] = (path, bytes(data))
        self._modified[key] = self.clock()

    def delete(self, path: str) -> None:
        self._files.pop(self._norm(path), None)
        self._modified.pop(self._norm(path), None)

    def last_write(self, path: str) -> float:
        """`LastWriteTimeUtc` of a file or folder, as seconds since the epoch (FileNotFoundError when missing)."""
        key = self._norm(path)
        if key not in self._files and key not in self._dirs:
            raise FileNotFoundError(path)
        return self._modified.get(key, 0.0)

    def set_last_write(self, path: str, when: float) -> None:
        """Set a file's or folder's last write time (`File.SetLastWriteTimeUtc`), e.g. to age a staged file."""
        key = self._norm(path)
        if key not in self._files and key not in self._dirs:
            raise FileNotFoundError(path)
        self._modified[key] = when

    def entries(self, folder: str) -> tuple[list[str], list[str]]:
        """The files and the folders directly inside `folder`, as written (`GetFiles` / `GetDirectories`)."""
        prefix = self._norm(folder) + ("\\" if self.windows else "/")
        direct = [
            (key, p)
            for key, p in [*((k, v[0]) for k, v in self._files.items()), *self._dirs.items()]
            if key.startswith(prefix) and (("\\" if self.windows else "/") not in key[len(prefix) :])
        ]
        files = [p for key, p in direct if key in self._files]
        folders = [p for key, p in direct if key in self._dirs]
        return files, folders

    def delete_tree(self, folder: str) -> None:
        """Remove a folder with everything in it (`Directory.Delete(path, true)`); nothing when it is missing."""
        key = self._norm(folder)
        prefix = key + ("\\" if self.windows else "/")
        for files_or_dirs in (self._files, self._dirs, self._modified):
            for inner in [k for k in files_or_dirs if k == key or k.startswith(prefix)]:
                del files_or_dirs[inner]

    def modified(self, path: str) -> float:
        """When a file or folder was last written (seconds since the epoch, UTC)."""
        return self._modified.get(self._norm(path), 0.0)

    def touch(self, path: str, when: float) -> None:
        """Set the last write time of an existing file or folder (scenarios and tests)."""
        if self.exists(path):
            self._modified[self._norm(path)] = when

    def set_attributes(self, path: str, *names: str) -> None:
        """Mark a file or folder "hidden" and/or "system" (what a listing reports)."""
        self._attributes[self._norm(path)] = frozenset(names)

    def attributes(self, path: str) -> frozenset[str]:
        return self._attributes.get(self._norm(path), frozenset())

    def deny_listing(self, folder: str) -> None:
        """The guest's account may not list this folder (as an administrator may not list System Volume
        Information)."""
        self._denied.add(self._norm(folder))

    def listing_denied(self, folder: str) -> bool:
        return self._norm(folder) in self._denied

    def roots(self) -> list[str]:
        """The drive roots (Windows: `C:\\`) that hold anything, as written."""
        return sorted(
            {p for key, p in self._dirs.items() if self._parent(p) == p or self._norm(self._parent(p)) == key}
        )

    def children(self, folder: str) -> list[tuple[str, bool, int]]:
        """The entries directly inside `folder` as (path as written, is a folder, length; 0 for a folder), in
        NTFS order (by name, ignoring case)."""
        key = self._norm(folder)
        sep = "\\" if self.windows else "/"
        prefix = key if key.endswith(sep) else key + sep
        found = [
            (p, True, 0)
            for k, p in self._dirs.items()
            if k != key and k.startswith(prefix) and sep not in k[len(prefix) :]
        ]
        found += [
            (p, False, len(data))
            for k, (p, data) in self._files.items()
            if k.startswith(prefix) and sep not in k[len(prefix) :]
        ]
        name = ntpath.basename if self.windows else posixpath.basename
        return sorted(found, key=lambda entry: name(entry[0].rstrip(sep)).casefold())

    def files(self) -> dict[str, bytes]:
        """Every file as {path: content}, paths as they were written."""
        return {p: bytes(data) for p, data in self._files.values()}

    def dirs_under(self, folder: str) -> list[str]:
        """The folders inside `folder` (at any depth), as written."""
        prefix = self._norm(folder) + ("\\" if self.windows else "/")
        return [p for key, p in self._dirs.items() if key.startswith(prefix)]

    def files_under(self, folder: str) -> dict[str, int]:
        """The files inside `folder` (at any depth) as {path as written: length}."""
        prefix = self._norm(folder) + ("\\" if self.windows else "/")
        return {p: len(data) for key, (p, data) in self._files.items() if key.startswith(prefix)}


def guest_file_system(config: GuestConfig) -> FileSystem:
    """A fresh guest disk with the files a real install of that OS has at the well-known places."""
    if config.os.is_windows:
        fs = FileSystem(
            windows=True,
            directories=(
                "C:\\Windows\\System32\\drivers\\etc",
                "C:\\Users\\Public",
                "C:\\Temp",
                "C:\\System Volume Information",
            ),
        )
        # Hidden, protected and closed even to administrators, as on every NTFS volume.
        fs.set_attributes("C:\\System Volume Information", "hidden", "system")
        fs.deny_listing("C:\\System Volume Information")
        fs.write(
            "C:\\Windows\\System32\\drivers\\etc\\hosts", b"127.0.0.1       localhost\r\n::1             localhost\r\n"
        )
        return fs
    fs = FileSystem(windows=False, directories=("/etc", "/tmp", "/home", "/var/lib/hyperv"))
    fs.write("/etc/hostname", f"{config.hostname}\n".encode())
    fs.write(
        "/etc/os-release",
        f'NAME="{config.os.os_name}"\nVERSION_ID="{config.os.major_version}"\n'.encode(),
    )
    return fs
