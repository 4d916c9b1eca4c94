"""The WS-Management service of one emulated host: SOAP requests in, SOAP replies (or faults) out.

It knows nothing of HTTP: the listener hands it a request body and who sent it, and sends back the
status and bytes it returns. Each WinRM shell is one runspace pool of the PowerShell plug-in.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from hvgui.emulator.psrp.outbox import encode
from hvgui.emulator.psrp.pool import PoolClosed, PsrpDataError, RunspacePoolSession, UnknownCommand
from hvgui.emulator.runtime import HostRuntime, PipelineCommand
from hvgui.emulator.wsman import faults
from hvgui.emulator.wsman import namespaces as ns
from hvgui.emulator.wsman.config import MAX_ENVELOPE_SIZE_KB, config_document
from hvgui.emulator.wsman.envelope import Request, RequestFault, parse_request, render, render_fault, salvage_message_id
from hvgui.emulator.wsman.replay import ReplayCache
from hvgui.emulator.wsman.xmltext import element, text_element

log = logging.getLogger(__name__)

#: Requests larger than MaxEnvelopeSizekb are refused, like on a Windows host.
MAX_REQUEST_SIZE = MAX_ENVELOPE_SIZE_KB * 1024
#: The PowerShell session configurations the emulated host has (the default endpoint).
SESSION_CONFIGURATIONS = frozenset({"microsoft.powershell"})
#: The Microsoft.PowerShell plug-in's MaxShellsPerUser as PowerShell's registration writes it
#: (`hyperv-cim-winrm.md` §6.b).
DEFAULT_MAX_SHELLS_PER_USER = 25
#: How long a re-sent Receive waits, beyond its own OperationTimeout, for the first one's reply.
REPLAY_WAIT_SECONDS = 60.0

CommandObserver = Callable[[HostRuntime, list[PipelineCommand]], None]


@dataclass(frozen=True)
class Caller:
    """Who sent a request and how it reached the listener; fills the shell's Owner, ClientIP and address."""

    username: str
    client_ip: str
    endpoint_url: str  # what the client used, e.g. http://127.0.0.1:5985/wsman


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes


class WSManService:
    """Create/Command/Send/Receive/Signal/Delete/Get for one emulated host."""

    def __init__(
        self,
        runtime: HostRuntime,
        *,
        machine: str = "127.0.0.1",
        allow_unencrypted: bool = True,
        observer: CommandObserver | None = None,
    ) -> None:
        self.runtime = runtime
        self.machine = machine
        self._allow_unencrypted = allow_unencrypted
        self._observer = observer
        self._shells: dict[str, RunspacePoolSession] = {}
        self._owners: dict[str, str] = {}
        self._lock = threading.Lock()
        self._process_id = 1000 + (os.getpid() % 8000)
        self._replies: ReplayCache[Reply] = ReplayCache()  # the last reply per Receive target, for re-sends
        self._pause_until = 0.0
        self._pause_next_output = 0.0
        #: The plug-in's per-user shell quota; a Create beyond it gets the QuotaLimit fault.
        self.max_shells_per_user = DEFAULT_MAX_SHELLS_PER_USER
        #: ShellIds the clients deleted, in order (what a test checks after a pool was dropped).
        self.deleted_shells: list[str] = []
        #: Requests refused for their credentials (HTTP 401).
        self.rejected_logins = 0

    @property
    def shell_count(self) -> int:
        with self._lock:
            return len(self._shells)

    @property
    def replayed_receives(self) -> int:
        """Receives answered again from the cache because the client re-sent them."""
        return self._replies.replayed

    def pause_receives(self, seconds: float) -> None:
        """Hold every Receive reply ready in the next `seconds` until they have passed, like a host that
        stalls (a busy WMI provider, a paused VM of the host itself). A test hook."""
        with self._lock:
            self._pause_until = max(self._pause_until, time.monotonic() + seconds)

    @property
    def paused(self) -> bool:
        """Whether Receive replies are being held right now."""
        with self._lock:
            return time.monotonic() < self._pause_until

    def pause_next_output(self, seconds: float) -> None:
        """Hold the next Receive reply that carries output for `seconds`: the host stalls in the middle of
        sending a result, the moment a lost reply would lose data. A test hook."""
        with self._lock:
            self._pause_next_output = seconds

    @property
    def allow_unencrypted(self) -> bool:
        """Whether plain-text SOAP over HTTP is accepted (WinRM's AllowUnencrypted; only Basic needs it)."""
        return self._allow_unencrypted

    def record_rejected_login(self) -> None:
        with self._lock:
            self.rejected_logins += 1

    def handle(self, body: bytes, caller: Caller) -> Reply:
        """Answer one request. Never raises: every failure becomes a fault that relates to the request.

        A Receive whose MessageID was seen before gets the first reply again, verbatim (see `replay`).
        """
        if len(body) <= MAX_REQUEST_SIZE:
            try:
                request = parse_request(body)
            except RequestFault:
                pass
            else:
                if request.action == ns.Action.RECEIVE:
                    desired = request.find("rsp:Receive/rsp:DesiredStream")
                    return self._replies.answer(
                        request.selectors.get("ShellId", "").upper(),
                        None if desired is None else desired.get("CommandId"),
                        request.message_id,
                        lambda: self._held(self._answer(body, caller)),
                        wait=request.operation_timeout + REPLAY_WAIT_SECONDS,
                    )
        return self._answer(body, caller)

    def _held(self, reply: Reply) -> Reply:
        while (delay := self._pause_until - time.monotonic()) > 0:
            time.sleep(min(delay, 0.5))
        return reply

    def _answer(self, body: bytes, caller: Caller) -> Reply:
        relates_to = None
        try:
            if len(body) > MAX_REQUEST_SIZE:
                relates_to = salvage_message_id(body)
                raise faults.envelope_too_large(len(body), MAX_REQUEST_SIZE)
            try:
                request = parse_request(body)
            except RequestFault as exc:
                relates_to = exc.message_id
                raise exc.fault from None
            relates_to = request.message_id
            action, reply_body = self._dispatch(request, caller)
            return Reply(200, render(action, relates_to, reply_body))
        except faults.WSManFault as fault:
            return Reply(500, render_fault(fault, relates_to, self.machine))
        except Exception as exc:
            log.exception("internal error while answering a WS-Management request")
            fault = faults.internal_error(f"{type(exc).__name__}: {exc}")
            return Reply(500, render_fault(fault, relates_to, self.machine))

    def close(self) -> None:
        """Close every shell (stops their pipelines and wakes their waiting Receives)."""
        with self._lock:
            shells = list(self._shells.values())
            self._shells.clear()
            self._owners.clear()
        for shell in shells:
            shell.close()

    # -- dispatch -------------------------------------------------------------------------------------
    def _dispatch(self, request: Request, caller: Caller) -> tuple[str, str]:
        action = request.action
        if action == ns.Action.GET:
            return ns.Action.GET_RESPONSE, self._get(request, caller)
        if action == ns.Action.CREATE:
            return ns.Action.CREATE_RESPONSE, self._create(request, caller)
        handlers = {
            ns.Action.COMMAND: (ns.Action.COMMAND_RESPONSE, self._command),
            ns.Action.SEND: (ns.Action.SEND_RESPONSE, self._send),
            ns.Action.RECEIVE: (ns.Action.RECEIVE_RESPONSE, self._receive),
            ns.Action.SIGNAL: (ns.Action.SIGNAL_RESPONSE, self._signal),
            ns.Action.DELETE: (ns.Action.DELETE_RESPONSE, self._delete),
        }
        if action not in handlers:
            raise faults.action_not_supported(action)
        reply_action, handler = handlers[action]
        self._check_powershell_uri(request.resource_uri)
        shell = self._shell(request)
        try:
            return reply_action, handler(shell, request)
        except PoolClosed:
            raise faults.shell_not_found() from None
        except UnknownCommand:
            raise faults.command_not_found() from None
        except PsrpDataError as exc:
            raise faults.invalid_psrp_data(str(exc)) from None

    def _check_powershell_uri(self, resource_uri: str) -> None:
        prefix = ns.ResourceUri.POWERSHELL_PREFIX
        if not resource_uri.startswith(prefix) or resource_uri[len(prefix) :].lower() not in SESSION_CONFIGURATIONS:
            raise faults.resource_not_found(resource_uri)

    def _shell(self, request: Request) -> RunspacePoolSession:
        shell_id = request.selectors.get("ShellId", "").upper()
        with self._lock:
            shell = self._shells.get(shell_id)
        if shell is None or shell.closed:
            raise faults.shell_not_found()
        return shell

    # -- actions --------------------------------------------------------------------------------------
    def _create(self, request: Request, caller: Caller) -> str:
        self._check_powershell_uri(request.resource_uri)
        shell_element = request.find("rsp:Shell")
        if shell_element is None:
            raise faults.invalid_body("The Create body has no rsp:Shell element.")
        creation = shell_element.find(f"{{{ns.POWERSHELL}}}creationXml")
        if creation is None or not (creation.text or "").strip():
            raise faults.invalid_body("The rsp:Shell element has no creationXml.")
        data = _decode_base64(creation.text or "", "creationXml")
        shell_id = (shell_element.get("ShellId") or str(uuid.uuid4())).upper()
        with self._lock:
            if shell_id in self._shells:
                raise faults.shell_already_exists(shell_id)
            self._check_shell_quota(caller.username)
        shell = RunspacePoolSession(shell_id, self.runtime, observer=self._observe)
        try:
            shell.open(data)
        except PsrpDataError as exc:
            shell.close()
            raise faults.invalid_psrp_data(str(exc)) from None
        with self._lock:
            if shell_id in self._shells:
                shell.close()
                raise faults.shell_already_exists(shell_id)
            self._shells[shell_id] = shell
            self._owners[shell_id] = caller.username
        created = element(
            "x:ResourceCreated",
            text_element("a:Address", caller.endpoint_url)
            + element(
                "a:ReferenceParameters",
                text_element("w:ResourceURI", request.resource_uri)
                + element("w:SelectorSet", text_element("w:Selector", shell_id, Name="ShellId")),
            ),
        )
        return created + self._shell_xml(shell, request, caller, creating=True)

    def _get(self, request: Request, caller: Caller) -> str:
        if request.resource_uri == ns.ResourceUri.CONFIG:
            return config_document(allow_unencrypted=self._allow_unencrypted)
        if request.resource_uri != ns.ResourceUri.SHELL:
            self._check_powershell_uri(request.resource_uri)
        return self._shell_xml(self._shell(request), request, caller, creating=False)

    def _command(self, shell: RunspacePoolSession, request: Request) -> str:
        command_line = request.find("rsp:CommandLine")
        if command_line is None:
            raise faults.invalid_body("The Command body has no rsp:CommandLine element.")
        arguments = command_line.findall(f"{{{ns.SHELL}}}Arguments")
        if not arguments:
            raise faults.invalid_body("A PowerShell Command needs the CreatePipeline fragment in rsp:Arguments.")
        data = b"".join(_decode_base64(a.text or "", "rsp:Arguments") for a in arguments)
        command_id = shell.create_pipeline(command_line.get("CommandId"), data)
        return element("rsp:CommandResponse", text_element("rsp:CommandId", command_id))

    def _send(self, shell: RunspacePoolSession, request: Request) -> str:
        streams = request.findall("rsp:Send/rsp:Stream")
        if not streams:
            raise faults.invalid_body("The Send body has no rsp:Stream element.")
        for stream in streams:
            data = _decode_base64(stream.text or "", "rsp:Stream")
            if data:
                shell.send(data, stream.get("CommandId"))
        return element("rsp:SendResponse")

    def _receive(self, shell: RunspacePoolSession, request: Request) -> str:
        desired = request.find("rsp:Receive/rsp:DesiredStream")
        if desired is None:
            raise faults.invalid_body("The Receive body has no rsp:DesiredStream element.")
        command_id = desired.get("CommandId")
        try:
            result = shell.receive(
                command_id, timeout=request.operation_timeout, max_reply_size=request.max_envelope_size
            )
        except TimeoutError:
            raise faults.operation_timed_out() from None
        if result.fragments:
            with self._lock:
                if self._pause_next_output > 0:
                    self._pause_until = max(self._pause_until, time.monotonic() + self._pause_next_output)
                    self._pause_next_output = 0.0
        content = "".join(
            text_element("rsp:Stream", encode(fragment), Name="stdout", CommandId=command_id)
            for fragment in result.fragments
        )
        if command_id is not None:
            if result.done:
                state = element(
                    "rsp:CommandState",
                    text_element("rsp:ExitCode", 0),
                    CommandId=command_id,
                    State=ns.CommandState.DONE,
                )
            else:
                state = text_element("rsp:CommandState", "", CommandId=command_id, State=ns.CommandState.RUNNING)
            content += state
        return element("rsp:ReceiveResponse", content)

    def _signal(self, shell: RunspacePoolSession, request: Request) -> str:
        signal = request.find("rsp:Signal")
        code = request.find("rsp:Signal/rsp:Code")
        if signal is None or code is None or not signal.get("CommandId"):
            raise faults.invalid_body("A Signal needs a CommandId and a rsp:Code.")
        code_text = (code.text or "").strip()
        if code_text == ns.Signal.TERMINATE:
            shell.signal(signal.get("CommandId", ""), terminate=True)
        elif code_text in ns.Signal.STOP_CODES:
            shell.signal(signal.get("CommandId", ""), terminate=False)
        else:
            raise faults.invalid_signal(code_text)
        return element("rsp:SignalResponse")

    def _delete(self, shell: RunspacePoolSession, request: Request) -> str:
        with self._lock:
            if self._shells.get(shell.shell_id) is shell:
                del self._shells[shell.shell_id]
                self._owners.pop(shell.shell_id, None)
            self.deleted_shells.append(shell.shell_id)
        self._replies.forget_shell(shell.shell_id)
        shell.close()
        return ""

    def _check_shell_quota(self, username: str) -> None:
        """Refuse one shell too many for a user, as the plug-in's MaxShellsPerUser does (call under the lock).

        Shells that closed on their own (the pool failed) no longer count."""
        for shell_id, shell in list(self._shells.items()):
            if shell.closed:
                del self._shells[shell_id]
                self._owners.pop(shell_id, None)
                self._replies.forget_shell(shell_id)
        owned = sum(1 for owner in self._owners.values() if owner == username)
        if owned >= self.max_shells_per_user:
            raise faults.shell_quota_exceeded(self.max_shells_per_user)

    # -- helpers --------------------------------------------------------------------------------------
    def _observe(self, commands: list[PipelineCommand]) -> None:
        if self._observer is not None:
            try:
                self._observer(self.runtime, commands)
            except Exception:
                log.exception("the pipeline observer failed")

    def _shell_xml(self, shell: RunspacePoolSession, request: Request, caller: Caller, *, creating: bool) -> str:
        now = time.monotonic()
        fields = [
            ("ShellId", shell.shell_id),
            ("ResourceUri", "http://schemas.microsoft.com/powershell/Microsoft.PowerShell"),
            ("Owner", f"{self.runtime.name}\\{caller.username}" if creating else caller.username),
            ("ClientIP", caller.client_ip),
            ("ProcessId", str(self._process_id)),
            ("IdleTimeOut", "PT7200.000S"),
            ("InputStreams", "stdin pr"),
            ("OutputStreams", "stdout"),
            ("MaxIdleTimeOut", "PT2147483.647S"),
            ("Locale", request.locale),
            ("DataLocale", request.locale),
            ("CompressionMode", "NoCompression"),
            ("ProfileLoaded", "Yes"),
            ("Encoding", "UTF8"),
            ("BufferMode", "Block"),
            ("State", "Connected"),
            ("ShellRunTime", _duration(now - shell.created_at)),
            ("ShellInactivity", _duration(now - shell.last_activity)),
        ]
        if not creating:
            fields += [("MemoryUsed", "58MB"), ("ChildProcesses", "0")]
        content = "".join(text_element(f"rsp:{name}", value) for name, value in fields)
        return element("rsp:Shell", content, **{"xmlns:rsp": ns.SHELL})


def _decode_base64(value: str, where: str) -> bytes:
    """The bytes of base64 text, white space allowed; a stream of a Send is up to MaxEnvelopeSize long, so the
    text is split on white space only when the strict decode of it as sent fails."""
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        pass
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        raise faults.invalid_body(f"The content of {where} is not valid base64.") from None


def _duration(seconds: float) -> str:
    """`P0DT0H1M2S`, the way the shell reports its run time and inactivity."""
    total = int(max(0.0, seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return f"P{days}DT{hours}H{minutes}M{secs}S"
