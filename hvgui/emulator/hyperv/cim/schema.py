"""The `root/virtualization/v2` classes the emulator serves: superclass chains, properties and their CIM types.

Property names and types come from `hyperv-api.md` §5-7 and `hyperv-cim-winrm.md` §1-3 (the W32 MOF pages
they cite). Each class lists only the properties a host reports that hvgui or an admin's script plausibly
reads; a property not listed is not part of the class here, so `-Property` naming it fails like a host
does with an unknown property. Superclass chains follow the CIM schema the MOF pages name; where a page
names none the chain is marked `# plausible WS2022 behaviour`.
"""

from __future__ import annotations

from dataclasses import dataclass

NAMESPACE = "root/virtualization/v2"

#: Integration-component GUID -> the class-name stem of its device and setting-data classes
#: (`Msvm_<stem>Component`, `Msvm_<stem>ComponentSettingData`), hyperv-api.md §4.3.
COMPONENT_STEMS: dict[str, str] = {
    "6C09BB55-D683-4DA0-8931-C9BF705F6480": "GuestServiceInterface",
    "84EAAE65-2F2E-45F5-9BB5-0E857DC8EB47": "Heartbeat",
    "2A34B1C2-FD73-4043-8A5B-DD2159BC743F": "KvpExchange",
    "9F8233AC-BE49-4C79-8EE3-E7E1985B2077": "Shutdown",
    "2497F4DE-E9FA-4204-80E4-4B75C46419C0": "TimeSync",
    "5CED1297-4598-4915-A5FC-AD21BB4D02A4": "Vss",
}

_MANAGED_ELEMENT = ("CIM_ManagedElement",)
_LOGICAL_ELEMENT = ("CIM_EnabledLogicalElement", "CIM_LogicalElement", "CIM_ManagedSystemElement", *_MANAGED_ELEMENT)


@dataclass(frozen=True)
class CimClass:
    """One class: its name, its superclasses (nearest first), its key and its properties in MOF order."""

    name: str
    superclasses: tuple[str, ...]
    key: str
    properties: tuple[tuple[str, str], ...]  # (name, CIM type such as "uint16", "string[]", "datetime")

    @property
    def chain(self) -> tuple[str, ...]:
        return (self.name, *self.superclasses)

    def property_type(self, name: str) -> str | None:
        folded = name.casefold()
        return next((t for n, t in self.properties if n.casefold() == folded), None)

    def canonical(self, name: str) -> str | None:
        folded = name.casefold()
        return next((n for n, _ in self.properties if n.casefold() == folded), None)


_ELEMENT = (("Caption", "string"), ("Description", "string"), ("ElementName", "string"), ("InstanceID", "string"))

COMPUTER_SYSTEM = CimClass(
    "Msvm_ComputerSystem",
    ("CIM_ComputerSystem", "CIM_System", *_LOGICAL_ELEMENT),
    "Name",
    (
        ("Caption", "string"),
        ("Description", "string"),
        ("ElementName", "string"),
        ("InstallDate", "datetime"),
        ("OperationalStatus", "uint16[]"),
        ("StatusDescriptions", "string[]"),
        ("HealthState", "uint16"),
        ("EnabledState", "uint16"),
        ("OtherEnabledState", "string"),
        ("RequestedState", "uint16"),
        ("EnabledDefault", "uint16"),
        ("CreationClassName", "string"),
        ("Name", "string"),
        ("OnTimeInMilliseconds", "uint64"),
        ("ProcessID", "uint32"),
        ("NumberOfNumaNodes", "uint16"),
    ),
)

SUMMARY_INFORMATION = CimClass(
    "Msvm_SummaryInformation",
    ("Msvm_SummaryInformationBase", *_MANAGED_ELEMENT),  # plausible WS2022 behaviour: base chain
    "InstanceID",
    (
        ("InstanceID", "string"),
        ("Name", "string"),
        ("ElementName", "string"),
        ("CreationTime", "datetime"),
        ("Notes", "string"),
        ("NumberOfProcessors", "uint16"),
        ("Version", "string"),
        ("Shielded", "boolean"),
        ("EnabledState", "uint16"),
        ("OtherEnabledState", "string"),
        ("ProcessorLoad", "uint16"),
        ("MemoryUsage", "uint64"),
        ("Heartbeat", "uint16"),
        ("UpTime", "uint64"),
        ("GuestOperatingSystem", "string"),
        ("HealthState", "uint16"),
        ("OperationalStatus", "uint16[]"),
        ("StatusDescriptions", "string[]"),
        ("MemoryAvailable", "sint32"),
        ("AvailableMemoryBuffer", "sint32"),
        ("ReplicationMode", "uint16"),
        ("ApplicationHealth", "uint16"),
        ("SwapFilesInUse", "boolean"),
        ("IntegrationServicesVersionState", "uint16"),
        ("MemorySpansPhysicalNumaNodes", "boolean"),
        ("EnhancedSessionModeState", "uint16"),
        ("VirtualSystemSubType", "string"),
        ("HostComputerSystemName", "string"),
    ),
)

VIRTUAL_SYSTEM_SETTING_DATA = CimClass(
    "Msvm_VirtualSystemSettingData",
    ("CIM_VirtualSystemSettingData", "CIM_SettingData", *_MANAGED_ELEMENT),
    "InstanceID",
    (
        *_ELEMENT,
        ("VirtualSystemIdentifier", "string"),
        ("ConfigurationID", "string"),
        ("VirtualSystemType", "string"),
        ("VirtualSystemSubType", "string"),
        ("Version", "string"),
        ("UserSnapshotType", "uint16"),
        ("Notes", "string[]"),
        ("Parent", "string"),
        ("IsSaved", "boolean"),
        ("AutomaticSnapshotsEnabled", "boolean"),
        ("IsAutomaticSnapshot", "boolean"),
        ("CreationTime", "datetime"),
        ("ConfigurationDataRoot", "string"),
        ("SnapshotDataRoot", "string"),
        ("SwapFileDataRoot", "string"),
        ("AutomaticStartupAction", "uint16"),
        ("AutomaticShutdownAction", "uint16"),
        ("EnhancedSessionTransportType", "uint16"),
    ),
)

CONCRETE_JOB = CimClass(
    "Msvm_ConcreteJob",
    ("CIM_ConcreteJob", "CIM_Job", "CIM_LogicalElement", "CIM_ManagedSystemElement", *_MANAGED_ELEMENT),
    "InstanceID",
    (
        *_ELEMENT,
        ("Name", "string"),
        ("JobState", "uint16"),
        ("PercentComplete", "uint16"),
        ("ErrorCode", "uint16"),
        ("ErrorDescription", "string"),
        ("ErrorSummaryDescription", "string"),
        ("JobType", "uint16"),
        ("StartTime", "datetime"),
        ("ElapsedTime", "datetime"),
    ),
)

MANAGEMENT_SERVICE = CimClass(
    "Msvm_VirtualSystemManagementService",
    ("CIM_VirtualSystemManagementService", "CIM_Service", *_LOGICAL_ELEMENT),
    "Name",
    (
        ("Caption", "string"),
        ("Description", "string"),
        ("ElementName", "string"),
        ("EnabledState", "uint16"),
        ("HealthState", "uint16"),
        ("CreationClassName", "string"),
        ("Name", "string"),
        ("SystemCreationClassName", "string"),
        ("SystemName", "string"),
        ("Started", "boolean"),
    ),
)

_DEVICE_PROPERTIES = (
    ("Caption", "string"),
    ("Description", "string"),
    ("ElementName", "string"),
    ("OperationalStatus", "uint16[]"),
    ("StatusDescriptions", "string[]"),
    ("HealthState", "uint16"),
    ("EnabledState", "uint16"),
    ("RequestedState", "uint16"),
    ("EnabledDefault", "uint16"),
    ("SystemCreationClassName", "string"),
    ("SystemName", "string"),
    ("CreationClassName", "string"),
    ("DeviceID", "string"),
)

_SETTING_PROPERTIES = (
    *_ELEMENT,
    ("ResourceType", "uint16"),
    ("OtherResourceType", "string"),
    ("ResourceSubType", "string"),
    ("EnabledState", "uint16"),
)

#: Extra properties of some component classes (W32 pages of each class; hyperv-api.md §5, §6.3).
_DEVICE_EXTRA = {
    "KvpExchange": (("GuestIntrinsicExchangeItems", "string[]"), ("GuestExchangeItems", "string[]")),
}
_SETTING_EXTRA = {
    "Heartbeat": (("Interval", "uint32"), ("Latency", "uint32"), ("ErrorThreshold", "uint32")),
    "KvpExchange": (
        ("HostExchangeItems", "string[]"),
        ("HostOnlyItems", "string[]"),
        ("DisableHostKVPItems", "boolean"),
    ),
}


def component_class(ic_guid: str) -> CimClass:
    stem = COMPONENT_STEMS[ic_guid]
    return CimClass(
        f"Msvm_{stem}Component",
        ("CIM_LogicalDevice", *_LOGICAL_ELEMENT),
        "DeviceID",
        (*_DEVICE_PROPERTIES, *_DEVICE_EXTRA.get(stem, ())),
    )


def setting_class(ic_guid: str) -> CimClass:
    stem = COMPONENT_STEMS[ic_guid]
    return CimClass(
        f"Msvm_{stem}ComponentSettingData",
        ("CIM_ResourceAllocationSettingData", "CIM_SettingData", *_MANAGED_ELEMENT),
        "InstanceID",
        (*_SETTING_PROPERTIES, *_SETTING_EXTRA.get(stem, ())),
    )


CLASSES: dict[str, CimClass] = {
    c.name.casefold(): c
    for c in (
        COMPUTER_SYSTEM,
        SUMMARY_INFORMATION,
        VIRTUAL_SYSTEM_SETTING_DATA,
        CONCRETE_JOB,
        MANAGEMENT_SERVICE,
        *(component_class(g) for g in COMPONENT_STEMS),
        *(setting_class(g) for g in COMPONENT_STEMS),
    )
}


def find_class(name: str) -> CimClass | None:
    return CLASSES.get(name.strip().casefold())
