"""Text a host reports in its own language: integration-service names and WMI status descriptions.

Integration-service names are stored in each VM's configuration in the host's installation language
(public German scripts show `Takt`, `Herunterfahren`, ...), so a German host reports German names whatever
the client's culture. Status descriptions come from WMI in the host's language too.

Cmdlet error and warning messages are *not* here: they follow the session's UI culture, which pypsrp sets
to en-US, so a German host still answers a pypsrp client in English
(plausible WS2022 behaviour: the module's resources fall back to the neutral en-US strings).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import components as ic


@dataclass(frozen=True)
class HostTexts:
    locale: str
    component_names: dict[str, str]  # IC GUID -> name
    operating_normally: str
    ok: str
    no_contact: str
    lost_communication: str
    application_critical: str
    protocol_mismatch: str


EN_US = HostTexts(
    locale="en-US",
    component_names={s.ic_guid: s.name for s in ic.INTEGRATION_COMPONENTS},
    operating_normally="Operating normally",
    ok="OK",
    no_contact="No Contact",
    lost_communication="Lost Communication",
    # plausible WS2022 behaviour: the en-US text of the application-critical state is not in the reference.
    application_critical="Application Critical",
    # The genuine sample shows this text cut by Format-Table after "expected by t..."; the end is plausible.
    protocol_mismatch=(
        "The protocol version of the component installed in the virtual machine does not match the version "
        "expected by the host."
    ),
)

DE_DE = HostTexts(
    locale="de-DE",
    component_names={
        ic.GUEST_SERVICE_INTERFACE.ic_guid: "Gastdienstschnittstelle",
        ic.HEARTBEAT.ic_guid: "Takt",
        ic.KVP.ic_guid: "Austausch von Schlüsselwertepaaren",
        ic.SHUTDOWN.ic_guid: "Herunterfahren",
        ic.TIME_SYNC.ic_guid: "Zeitsynchronisierung",
        ic.VSS.ic_guid: "VSS",  # German scripts keep "VSS"
    },
    # plausible WS2022 behaviour: the German status texts below are not in the reference; they follow the
    # wording of German Hyper-V Manager.
    operating_normally="Normaler Betrieb",
    ok="OK",
    no_contact="Kein Kontakt",
    lost_communication="Kommunikation unterbrochen",
    application_critical="Anwendung kritisch",
    protocol_mismatch=(
        "Die Protokollversion der auf dem virtuellen Computer installierten Komponente stimmt nicht mit der "
        "vom Host erwarteten Version überein."
    ),
)

BY_LOCALE = {t.locale.casefold(): t for t in (EN_US, DE_DE)}


def texts_for(locale: str) -> HostTexts:
    try:
        return BY_LOCALE[locale.casefold()]
    except KeyError:
        known = ", ".join(t.locale for t in BY_LOCALE.values())
        raise ValueError(f"unknown host locale {locale!r}; known: {known}") from None
