"""CIM indications: `Register-CimIndicationEvent` and the event queue of the runspace that registered.

A host raises intrinsic events (`__InstanceModificationEvent`, `__InstanceCreationEvent`,
`__InstanceDeletionEvent`) in one of two ways. A class whose provider raises them itself can be subscribed to
without `WITHIN`: the subscriber hears of a change when the provider makes it, and nothing is paid per
instance. Any other class needs `WITHIN n`: WinMgmt then enumerates the class every n seconds and compares
(so the cost stays on the host, hidden in WinMgmt), and a query without `WITHIN` is refused when it is
registered with `WBEMESS_E_REGISTRATION_TOO_PRECISE` (0x80042002, "A WITHIN clause was not used in this
query").

Which classes raise their own events here:

- `Msvm_ComputerSystem`: documented (W32 `msvm-computersystem.md` Remarks: the provider raises
  `__InstanceModificationEvent` whenever a property changes; creation and deletion too, hyperv-api.md 6.4).
  plausible WS2022 behaviour: a change is one of the stored properties (ElementName, EnabledState,
  HealthState); `OnTimeInMilliseconds` is computed when it is read and raises nothing.
- `Msvm_HeartbeatComponent`: [unverified] hyperv-api.md 6.4 leaves open whether vmms raises its events.
  plausible WS2022 behaviour: it does. The component's `OperationalStatus` is state that vmms keeps and changes
  when the guest's heartbeat component reports or stops reporting, as it does for the computer system's
  state. `HostModel.heartbeat_indications = False` (`--no-heartbeat-events`) models a host whose provider
  refuses, so that what a client does then is tested too.

How the emulator raises them: one `IndicationSource` per host compares, every `DETECT_SECONDS`, what each
subscribed class shows now with what it showed before, and queues one event per changed instance in each
subscriber's queue (the provider's own bookkeeping, charged to no pipeline). A subscription with `WITHIN n`
compares only every n host seconds. `fail_subscriptions` ends every subscription of a host with an exception
event, what a subscriber sees when the provider it listens to fails.

The event queue (`EventQueue`) belongs to a runspace, as PowerShell's does: `Wait-Event`, `Get-Event`,
`Remove-Event` and `Unregister-Event` are engine cmdlets, which the host module's watcher body uses through
it. A subscription whose runspace is gone is dropped.
"""

from __future__ import annotations

import functools
import itertools
import re
import threading
import time
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from psrpcore.types import ErrorCategory, PSNoteProperty, PSObject

from hvgui.emulator.runtime import CmdletError, TerminatingError

from .. import errors
from ..components import HEARTBEAT
from ..context import CommandContext
from ..host import HostModel
from . import provider, schema
from .errors import GENERIC_FAILURE, INVALID_CLASS, INVALID_NAMESPACE, INVALID_QUERY, cim_error
from .instance import CimInstance
from .schema import NAMESPACE, CimClass

#: How often (real seconds) a host's source compares what it shows.
DETECT_SECONDS = 0.1
#: WBEMESS_E_REGISTRATION_TOO_PRECISE. plausible WS2022 behaviour: the message is WMI's text for the code.
TOO_PRECISE = ("A WITHIN clause was not used in this query. ", "HRESULT 0x80042002", ErrorCategory.NotSpecified)
#: PSEventArgs.SourceEventArgs types.
INSTANCE_ARGS = "Microsoft.Management.Infrastructure.CimCmdlets.CimIndicationEventInstanceEventArgs"
EXCEPTION_ARGS = "Microsoft.Management.Infrastructure.CimCmdlets.CimIndicationEventExceptionEventArgs"

_EVENT_CLASSES = {
    "__instancemodificationevent": "__InstanceModificationEvent",
    "__instancecreationevent": "__InstanceCreationEvent",
    "__instancedeletionevent": "__InstanceDeletionEvent",
    "__instanceoperationevent": "__InstanceOperationEvent",
}
_EVENT_QUERY = re.compile(
    r"^\s*SELECT\s+\*\s+FROM\s+(?P<event>\w+)(?:\s+WITHIN\s+(?P<within>\d+(?:\.\d+)?))?"
    r"\s+WHERE\s+TargetInstance\s+ISA\s+(?P<quote>['\"])(?P<cls>\w+)(?P=quote)\s*$",
    re.I | re.S,
)


@dataclass(frozen=True)
class EventQuery:
    """`SELECT * FROM <event class> [WITHIN n] WHERE TargetInstance ISA '<class>'`."""

    event_class: str
    target: CimClass
    within: float | None


class QueryRefused(Exception):
    def __init__(self, kind: tuple[str, str, ErrorCategory]) -> None:
        super().__init__(kind[0])
        self.kind = kind


def parse_event_query(text: str) -> EventQuery:
    match = _EVENT_QUERY.match(text or "")
    if match is None or match["event"].casefold() not in _EVENT_CLASSES:
        raise QueryRefused(INVALID_QUERY)
    target = schema.find_class(match["cls"])
    if target is None:
        raise QueryRefused(INVALID_CLASS)
    within = float(match["within"]) if match["within"] else None
    if within is not None and within <= 0:
        raise QueryRefused(INVALID_QUERY)
    return EventQuery(_EVENT_CLASSES[match["event"].casefold()], target, within)


def raises_own_events(model: HostModel, target: CimClass) -> bool:
    """Whether the host's provider raises this class's intrinsic events itself (see the module's docstring)."""
    if target is schema.COMPUTER_SYSTEM:
        return True
    return target.name == HEARTBEAT.wmi_class and model.heartbeat_indications


# --- the runspace's event queue ------------------------------------------------------------------------


@dataclass(frozen=True)
class QueuedEvent:
    """A `PSEventArgs`: `source_args_type` says whether `new_event` (an indication) or `exception` is set."""

    event_identifier: int
    source_identifier: str
    time_generated: float
    source_args_type: str
    new_event: CimInstance | None = None
    exception: CmdletError | None = None


class EventQueue:
    """The event queue and subscribers of one runspace."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._events: list[QueuedEvent] = []
        self._ids = itertools.count(1)
        self._subscriptions: dict[str, Subscription] = {}

    # PowerShell: Register-* adds a subscriber, Unregister-Event removes it (queued events stay).
    def subscribe(self, subscription: Subscription) -> None:
        with self._condition:
            self._subscriptions[subscription.source_identifier.casefold()] = subscription

    def is_subscribed(self, source_identifier: str) -> bool:
        with self._condition:
            return source_identifier.casefold() in self._subscriptions

    def unregister(self, source_identifier: str) -> bool:
        with self._condition:
            subscription = self._subscriptions.pop(source_identifier.casefold(), None)
        if subscription is not None:
            subscription.cancel()
        return subscription is not None

    def add(self, source_identifier: str, args_type: str, **values: Any) -> None:
        with self._condition:
            self._events.append(QueuedEvent(next(self._ids), source_identifier, time.time(), args_type, **values))
            self._condition.notify_all()

    def wait(self, source_identifier: str | None, timeout: float, stop: threading.Event) -> QueuedEvent | None:
        """`Wait-Event`: the first queued event (of that source), without removing it; None after `timeout`
        seconds (negative: no limit) or once the pipeline is stopped."""
        deadline = None if timeout < 0 else time.monotonic() + timeout
        with self._condition:
            while not stop.is_set():
                found = self._first(source_identifier)
                if found is not None:
                    return found
                remaining = 0.1 if deadline is None else min(0.1, deadline - time.monotonic())
                if remaining <= 0:
                    return None
                self._condition.wait(remaining)  # wakes at least every 0.1 s to see a stop
        return None

    def get(self, source_identifier: str | None = None) -> list[QueuedEvent]:
        """`Get-Event`."""
        with self._condition:
            return [e for e in self._events if _matches(e, source_identifier)]

    def remove(self, event_identifier: int) -> bool:
        """`Remove-Event -EventIdentifier`."""
        with self._condition:
            before = len(self._events)
            self._events = [e for e in self._events if e.event_identifier != event_identifier]
            return len(self._events) != before

    def _first(self, source_identifier: str | None) -> QueuedEvent | None:
        return next((e for e in self._events if _matches(e, source_identifier)), None)


def _matches(event: QueuedEvent, source_identifier: str | None) -> bool:
    return source_identifier is None or event.source_identifier.casefold() == source_identifier.casefold()


# --- subscriptions and the host's source ---------------------------------------------------------------


@dataclass(eq=False)
class Subscription:
    """One registered query of one runspace; its events go to that runspace's queue while it lives."""

    source_identifier: str
    query: EventQuery
    queue: weakref.ReferenceType[EventQueue]
    seen: dict[str, tuple[Any, dict[str, Any]]] | None = None  # key -> (what is compared, the instance's row)
    compared_at: float | None = None  # host time of the last comparison (for WITHIN)
    cancelled: threading.Event = field(default_factory=threading.Event)

    def cancel(self) -> None:
        self.cancelled.set()

    @property
    def alive(self) -> bool:
        return not self.cancelled.is_set() and self.queue() is not None


def _computer_systems(model: HostModel, now: float) -> dict[str, tuple[Any, dict[str, Any]]]:
    found = {}
    for vm in model.vms:
        enabled, health = provider.vm_state(vm, now)
        row = {"Name": provider.vm_key(vm), "ElementName": vm.name, "EnabledState": enabled, "HealthState": health}
        found[row["Name"]] = ((vm.name, enabled, health), row)
    return found


def _heartbeat_components(model: HostModel, now: float) -> dict[str, tuple[Any, dict[str, Any]]]:
    found = {}
    guid = HEARTBEAT.ic_guid
    for vm in model.vms:
        if not vm.has_runtime_components(now):
            continue  # no worker process, no component
        enabled = vm.components[guid].enabled
        status = [int(s.value) for s in vm.component_status(guid, now)]
        key = f"Microsoft:{provider.vm_key(vm)}\\{guid}"
        row = {"DeviceID": key, "SystemName": provider.vm_key(vm), "EnabledState": 2 if enabled else 3}
        row["OperationalStatus"] = status
        found[key] = ((enabled, tuple(status)), row)
    return found


#: What each class's instances show, by class name: key -> (what a change is judged by, the row to report).
_SNAPSHOTS: dict[str, Callable[[HostModel, float], dict[str, tuple[Any, dict[str, Any]]]]] = {
    schema.COMPUTER_SYSTEM.name: _computer_systems,
    HEARTBEAT.wmi_class: _heartbeat_components,
}


class IndicationSource:
    """A host's provider raising events: a thread that runs while the host has subscriptions."""

    def __init__(self, model: HostModel) -> None:
        self._model = weakref.ref(model)
        self._lock = threading.Lock()
        self._subscriptions: list[Subscription] = []
        self._thread: threading.Thread | None = None

    def add(self, subscription: Subscription) -> None:
        model = self._model()
        if model is None:
            return
        with model.lock:
            subscription.seen = self._snapshot(model, subscription.query.target, model.now())
            subscription.compared_at = model.now()
        with self._lock:
            self._subscriptions.append(subscription)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=f"indications-{model.name}", daemon=True)
                self._thread.start()

    def fail_all(self, error: CmdletError) -> None:
        """Every subscription ends with an exception event (the provider failed)."""
        with self._lock:
            failing, self._subscriptions = self._subscriptions, []
        for subscription in failing:
            queue = subscription.queue()
            if queue is not None and not subscription.cancelled.is_set():
                queue.add(subscription.source_identifier, EXCEPTION_ARGS, exception=error)
            subscription.cancel()

    def count(self) -> int:
        with self._lock:
            return sum(1 for s in self._subscriptions if s.alive)

    @staticmethod
    def _snapshot(model: HostModel, target: CimClass, now: float) -> dict[str, tuple[Any, dict[str, Any]]]:
        reader = _SNAPSHOTS.get(target.name)
        return reader(model, now) if reader is not None else {}

    def _run(self) -> None:
        while True:
            time.sleep(DETECT_SECONDS)
            model = self._model()
            with self._lock:
                self._subscriptions = [s for s in self._subscriptions if s.alive]
                subscriptions = list(self._subscriptions)
                if model is None or not subscriptions:
                    self._thread = None
                    return
            self._compare(model, subscriptions)
            del model

    def _compare(self, model: HostModel, subscriptions: list[Subscription]) -> None:
        snapshots: dict[str, dict[str, tuple[Any, dict[str, Any]]]] = {}
        with model.lock:
            now = model.now()
            for subscription in subscriptions:
                within = subscription.query.within
                if within is not None and now - (subscription.compared_at or 0.0) < within:
                    continue
                name = subscription.query.target.name
                if name not in snapshots:
                    snapshots[name] = self._snapshot(model, subscription.query.target, now)
        for subscription in subscriptions:
            current = snapshots.get(subscription.query.target.name)
            if current is None:
                continue
            self._deliver(subscription, subscription.seen or {}, current)
            subscription.seen = current
            subscription.compared_at = now

    @staticmethod
    def _deliver(
        subscription: Subscription,
        before: dict[str, tuple[Any, dict[str, Any]]],
        after: dict[str, tuple[Any, dict[str, Any]]],
    ) -> None:
        queue = subscription.queue()
        if queue is None:
            return
        kind = subscription.query.event_class
        target = subscription.query.target
        events: list[tuple[str, dict[str, Any] | None, dict[str, Any]]] = []
        if kind in ("__InstanceModificationEvent", "__InstanceOperationEvent"):
            for key, (judged, row) in after.items():
                old = before.get(key)
                if old is not None and old[0] != judged:
                    events.append(("__InstanceModificationEvent", old[1], row))
        if kind in ("__InstanceCreationEvent", "__InstanceOperationEvent"):
            events.extend(("__InstanceCreationEvent", None, r) for key, (_, r) in after.items() if key not in before)
        if kind in ("__InstanceDeletionEvent", "__InstanceOperationEvent"):
            events.extend(("__InstanceDeletionEvent", None, r) for key, (_, r) in before.items() if key not in after)
        for event_class, previous, row in events:
            values: dict[str, Any] = {"TargetInstance": CimInstance(target, row)}
            if previous is not None:
                values["PreviousInstance"] = CimInstance(target, previous)
            indication = CimInstance(_event_class(event_class), values)
            queue.add(subscription.source_identifier, INSTANCE_ARGS, new_event=indication)


@functools.cache
def _event_class(name: str) -> CimClass:
    return CimClass(name, ("__InstanceOperationEvent", "__Event", "__IndicationRelated"), "TIME_CREATED", ())


_sources_lock = threading.Lock()
_sources: weakref.WeakKeyDictionary[HostModel, IndicationSource] = weakref.WeakKeyDictionary()


def source(model: HostModel) -> IndicationSource:
    with _sources_lock:
        found = _sources.get(model)
        if found is None:
            found = _sources[model] = IndicationSource(model)
        return found


def fail_subscriptions(model: HostModel) -> None:
    """Every subscription to this host's events ends with an exception event (`WBEM_E_FAILED`)."""
    invocation = errors.Invocation(
        "Register-CimIndicationEvent", "Microsoft.Management.Infrastructure.CimCmdlets.RegisterCimIndicationCommand"
    )
    source(model).fail_all(cim_error(invocation, GENERIC_FAILURE))


# --- the cmdlet ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventJob:
    """What Register-CimIndicationEvent writes: the subscription's `PSEventJob`."""

    id: int
    name: str

    def to_psobject(self) -> PSObject:
        job = PSObject()
        job.PSTypeNames.extend(
            ["System.Management.Automation.PSEventJob", "System.Management.Automation.Job", "System.Object"]
        )
        for name, value in (("Id", self.id), ("Name", self.name), ("State", "NotStarted"), ("HasMoreData", False)):
            job.PSObject.extended_properties.append(PSNoteProperty(name, value))
        return job


_job_ids = itertools.count(1)


def register_cim_indication_event(ctx: CommandContext) -> None:
    bound = ctx.bound
    namespace = (bound.get("Namespace") or "root/cimv2").replace("\\", "/").strip("/").casefold()
    try:
        if bound.get("Action") is not None:
            # plausible WS2022 behaviour for the emulator's scope: an -Action script block would run here.
            raise QueryRefused(INVALID_QUERY)
        if namespace != NAMESPACE:
            raise QueryRefused(INVALID_NAMESPACE)
        text = bound.get("Query")
        if text is None:
            raise QueryRefused(INVALID_CLASS)  # -ClassName names an extrinsic event class: none exists here
        query = parse_event_query(text)
        if query.within is None and not raises_own_events(ctx.model, query.target):
            raise QueryRefused(TOO_PRECISE)
    except QueryRefused as refused:
        # The cmdlet waits for the subscription to be acknowledged, so a refusal is its terminating error.
        raise TerminatingError(cim_error(ctx.invocation, refused.kind)) from None
    queue = ctx.events
    if queue is None:
        raise RuntimeError("Register-CimIndicationEvent needs a runspace")
    source_identifier = bound.get("SourceIdentifier") or str(uuid.uuid4())
    if queue.is_subscribed(source_identifier):
        # plausible WS2022 behaviour: the engine's PSEventManager text and error id for a duplicate identifier.
        raise TerminatingError(
            errors.error(
                ctx.invocation,
                f"Cannot subscribe to the specified event. A subscriber with the source identifier "
                f"'{source_identifier}' already exists.",
                "SUBSCRIBER_EXISTS",
                ErrorCategory.InvalidArgument,
                exception_types=("System.ArgumentException", "System.SystemException", "System.Exception"),
            )
        )
    subscription = Subscription(source_identifier, query, weakref.ref(queue))
    queue.subscribe(subscription)
    source(ctx.model).add(subscription)
    ctx.write_output(EventJob(next(_job_ids), source_identifier))
