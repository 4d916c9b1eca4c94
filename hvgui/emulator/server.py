"""Listeners for emulated hosts: one port per host, and the in-process way to start a whole scenario.

One port per host (rather than one port with a host selector) is what a fleet of real hosts looks
like to a client: every host is its own URL, can drop on its own (`HostServer.stop()`), and a client's
connection pool never mixes hosts.

Each listener accepts on its own thread and serves each connection on a thread of its own (a Receive
long-polls for up to OperationTimeout, so connections must not wait for each other). TLS handshakes
happen on the connection's thread, never in the accept loop, so a slow or silent client cannot stall
the listener.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import secrets
import selectors
import socket
import ssl
import threading
from collections.abc import Sequence
from typing import Any

from hvgui.emulator.certs import TlsFiles, generate_tls_files, server_context
from hvgui.emulator.command_log import CommandLog
from hvgui.emulator.endpoints import Endpoint, endpoint_url
from hvgui.emulator.runtime import HostRuntime, PipelineCommand
from hvgui.emulator.wsman.auth import Authenticator, channel_binding_data, parse_auth_list
from hvgui.emulator.wsman.http import WSManRequestHandler
from hvgui.emulator.wsman.service import WSManService

log = logging.getLogger(__name__)

HANDSHAKE_TIMEOUT_SECONDS = 10.0
DEFAULT_USER_PREFIX = "hvadmin"


class ListenAddressRefused(ValueError):
    """A listen address that would expose the emulator beyond this machine, without --allow-remote."""


def parse_listen(listen: str) -> tuple[str, int]:
    """`HOST:PORT` (or `[V6]:PORT`) into its parts; raises ValueError with a readable message."""
    text = listen.strip()
    if text.startswith("["):
        host, sep, port_text = text[1:].partition("]:")
    else:
        host, sep, port_text = text.rpartition(":")
    if not sep or not host:
        raise ValueError(f"listen address {listen!r} must look like 127.0.0.1:0 (HOST:PORT)")
    try:
        port = int(port_text)
    except ValueError:
        raise ValueError(f"bad port in listen address {listen!r}") from None
    if not 0 <= port <= 65535:
        raise ValueError(f"port {port} is out of range in listen address {listen!r}")
    return host, port


def check_loopback(host: str, *, allow_remote: bool) -> None:
    """Refuse a non-loopback address unless the caller explicitly allows remote clients."""
    if allow_remote or host.lower() == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ListenAddressRefused(
            f"refusing to listen on {host}: the emulator accepts any client that knows its password and is "
            "meant for this machine only. Listen on 127.0.0.1 (or ::1), or pass --allow-remote "
            "(allow_remote=True) if you really want other machines to reach it."
        )


def exposure_warning(host: str, port: int, *, use_https: bool) -> str | None:
    """What a non-loopback listener exposes, said plainly (None for loopback): the address and port, and
    for a wildcard address a URL another machine would use."""
    try:
        loopback = host.lower() == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if loopback:
        return None
    if host in ("0.0.0.0", "::", ""):
        scope = f"every network interface of this machine ({host or '0.0.0.0'})"
        example = endpoint_url(_outward_address(host), port, use_https=use_https)
    else:
        scope = host
        example = endpoint_url(host, port, use_https=use_https)
    return (
        f"port {port} is exposed on {scope}: other machines can reach it as {example}, and anyone who can "
        "reach it and knows the password gets in. Use only on a trusted network."
    )


def _outward_address(host: str) -> str:
    """This machine's address on its default route (no packet is sent); loopback if it has none."""
    family, probe, fallback = (
        (socket.AF_INET6, "2001:db8::1", "::1") if host == "::" else (socket.AF_INET, "192.0.2.1", "127.0.0.1")
    )
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as udp:
            udp.connect((probe, 9))
            return str(udp.getsockname()[0])
    except OSError:
        return fallback


def connectable_address(host: str) -> str:
    """The address a local client uses for a listener bound to `host` (wildcards map to loopback)."""
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "::1"
    return host


class HostServer:
    """The WS-Management listener of one emulated host."""

    def __init__(
        self,
        service: WSManService,
        authenticator: Authenticator,
        *,
        address: str = "127.0.0.1",
        port: int = 0,
        tls: TlsFiles | None = None,
    ) -> None:
        self.service = service
        self.authenticator = authenticator
        self.address = address
        self._port = port
        self._tls = tls
        self._ssl_context = server_context(tls) if tls else None
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._wake_reader: socket.socket | None = None
        self._wake_writer: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()

    @property
    def host_name(self) -> str:
        return self.service.runtime.name

    @property
    def port(self) -> int:
        return self._port

    @property
    def use_https(self) -> bool:
        return self._tls is not None

    @property
    def url(self) -> str:
        return endpoint_url(connectable_address(self.address), self._port, use_https=self.use_https)

    @property
    def running(self) -> bool:
        return self._listener is not None

    def start(self) -> None:
        """Listen (again): the first start picks the port, later starts reuse it."""
        with self._lock:
            if self._listener is not None:
                return
            family = socket.AF_INET6 if ":" in self.address else socket.AF_INET
            listener = socket.create_server((self.address, self._port), family=family, backlog=128)
            listener.setblocking(False)
            self._port = listener.getsockname()[1]
            self._wake_reader, self._wake_writer = socket.socketpair()
            self._listener = listener
            self._accept_thread = threading.Thread(
                target=self._accept_loop,
                args=(listener, self._wake_reader),
                name=f"wsman-accept-{self.host_name}",
                daemon=True,
            )
            self._accept_thread.start()
        log.info("%s listening on %s", self.host_name, self.url)

    def stop(self) -> None:
        """Stop listening and drop every open connection, as a host that falls off the network."""
        with self._lock:
            listener, thread = self._listener, self._accept_thread
            if listener is None:
                return
            self._listener = None
            self._accept_thread = None
            assert self._wake_writer is not None
            with contextlib.suppress(OSError):
                self._wake_writer.send(b"x")
            connections = list(self._connections)
        if thread is not None:
            thread.join(timeout=5)
        listener.close()
        for sock in (self._wake_reader, self._wake_writer):
            if sock is not None:
                sock.close()
        self._wake_reader = self._wake_writer = None
        for connection in connections:
            _shutdown(connection)
        log.info("%s stopped listening", self.host_name)

    def close(self) -> None:
        """Stop, and end every shell and pipeline of the host."""
        self.stop()
        self.service.close()
        self.authenticator.close()

    # -- threads --------------------------------------------------------------------------------------
    def _accept_loop(self, listener: socket.socket, wake: socket.socket) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(listener, selectors.EVENT_READ)
            selector.register(wake, selectors.EVENT_READ)
            while True:
                events = selector.select()
                if any(key.fileobj is wake for key, _ in events):
                    return
                try:
                    connection, peer = listener.accept()
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    return
                connection.setblocking(True)
                with self._lock:
                    if self._listener is not listener:
                        connection.close()
                        return
                    self._connections.add(connection)
                threading.Thread(
                    target=self._serve_connection,
                    args=(connection, peer),
                    name=f"wsman-conn-{self.host_name}",
                    daemon=True,
                ).start()

    def _serve_connection(self, connection: socket.socket, peer: Any) -> None:
        sock: socket.socket = connection
        try:
            if self._ssl_context is not None:
                sock = self._ssl_context.wrap_socket(connection, server_side=True, do_handshake_on_connect=False)
                with self._lock:
                    self._connections.discard(connection)
                    self._connections.add(sock)
                sock.settimeout(HANDSHAKE_TIMEOUT_SECONDS)
                try:
                    sock.do_handshake()
                except (ssl.SSLError, OSError) as exc:
                    log.debug("TLS handshake with %s failed: %s", peer, exc)
                    return
            WSManRequestHandler(sock, peer, self)
        except Exception:
            log.exception("connection from %s ended with an error", peer)
        finally:
            with self._lock:
                self._connections.discard(sock)
                self._connections.discard(connection)
            with contextlib.suppress(OSError):
                sock.close()


def _shutdown(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)


def random_credentials(username: str | None, password: str | None) -> tuple[str, str]:
    """Fill in what is missing: an `hvadmin-xxxx` user name and a random password."""
    return (
        username or f"{DEFAULT_USER_PREFIX}-{secrets.token_hex(2)}",
        password or secrets.token_urlsafe(12),
    )


class RunningEmulator:
    """Emulated hosts serving on loopback. A context manager; `close()` ends everything."""

    def __init__(
        self,
        servers: Sequence[HostServer],
        *,
        scenario: Any = None,
        tls: TlsFiles | None = None,
        command_log: CommandLog | None = None,
    ) -> None:
        self.scenario = scenario
        self._servers = {server.host_name: server for server in servers}
        self._tls = tls
        self._command_log = command_log
        self._closed = False

    @property
    def servers(self) -> list[HostServer]:
        return list(self._servers.values())

    @property
    def ca_file(self) -> str | None:
        return self._tls.ca_file if self._tls else None

    @property
    def endpoints(self) -> list[Endpoint]:
        endpoints = []
        for server in self._servers.values():
            endpoints.append(
                Endpoint(
                    host_name=server.host_name,
                    url=server.url,
                    address=connectable_address(server.address),
                    port=server.port,
                    use_https=server.use_https,
                    username=server.authenticator.username,
                    password=server.authenticator.password,
                    ca_file=self.ca_file,
                    auth=server.authenticator.methods,
                )
            )
        return endpoints

    def endpoint(self, host_name: str) -> Endpoint:
        for endpoint in self.endpoints:
            if endpoint.host_name == host_name:
                return endpoint
        raise KeyError(host_name)

    def server(self, host_name: str) -> HostServer:
        return self._servers[host_name]

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for server in self._servers.values():
            server.close()
        if self._command_log is not None:
            self._command_log.close()
        if self._tls is not None:
            self._tls.cleanup()

    def __enter__(self) -> RunningEmulator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def start_hosts(
    hosts: Sequence[HostRuntime],
    *,
    scenario: Any = None,
    tls: bool = False,
    cert_file: str | None = None,
    key_file: str | None = None,
    username: str | None = None,
    password: str | None = None,
    command_log: str | None = None,
    listen: str = "127.0.0.1:0",
    allow_remote: bool = False,
    auth: str | Sequence[str] = "basic",
) -> RunningEmulator:
    """Serve the given host runtimes, one listener (port) each.

    With port 0 every host gets a free port of its own; with port P the hosts get P, P+1, ...
    `cert_file`/`key_file` select a certificate (and imply TLS); otherwise TLS uses a generated CA.
    Credentials not given are generated. `auth` is what the listeners accept (a comma list or names of
    basic, ntlm, negotiate). In process it defaults to Basic, which keeps the many tests that only need a
    host fast; the command line defaults to Negotiate, as a real host does. Raises ListenAddressRefused,
    ValueError or OSError.
    """
    methods = parse_auth_list(auth if isinstance(auth, str) else ",".join(auth))
    address, first_port = parse_listen(listen)
    check_loopback(address, allow_remote=allow_remote)
    if (cert_file is None) != (key_file is None):
        raise ValueError("give both a certificate file and its key file, or neither")
    user, secret = random_credentials(username, password)
    tls_files: TlsFiles | None = None
    if cert_file and key_file:
        tls_files = TlsFiles(cert_file, key_file)
    elif tls:
        tls_files = generate_tls_files()
    log_file = CommandLog.open(command_log)

    def observe(runtime: HostRuntime, commands: list[PipelineCommand]) -> None:
        if log_file is not None:
            log_file.record_pipeline(runtime.name, commands, runtime.identify_script)

    binding = None
    if tls_files is not None and any(method != "basic" for method in methods):
        with open(tls_files.cert_file, "rb") as handle:
            binding = channel_binding_data(handle.read())
    # A real host refuses plain-text SOAP over HTTP (AllowUnencrypted=false) unless Basic was turned on,
    # which needs it; Negotiate seals the messages instead.
    allow_unencrypted = tls_files is None and "basic" in methods

    servers: list[HostServer] = []
    try:
        for index, runtime in enumerate(hosts):
            service = WSManService(runtime, allow_unencrypted=allow_unencrypted, observer=observe)
            port = first_port + index if first_port else 0
            authenticator = Authenticator(user, secret, methods, channel_binding=binding)
            server = HostServer(service, authenticator, address=address, port=port, tls=tls_files)
            servers.append(server)
            server.start()
    except BaseException:
        for server in servers:
            server.close()
        if log_file is not None:
            log_file.close()
        if tls_files is not None:
            tls_files.cleanup()
        raise
    return RunningEmulator(servers, scenario=scenario, tls=tls_files, command_log=log_file)


def start_emulator(
    scenario: str = "demo",
    *,
    tls: bool = False,
    seed: int | None = 0,
    username: str | None = None,
    password: str | None = None,
    command_log: str | None = None,
    listen: str = "127.0.0.1:0",
    cost_profile: Any = None,
    time_scale: float | None = None,
    auth: str | Sequence[str] = "basic",
) -> RunningEmulator:
    """Load a scenario (a name such as `demo`, or a JSON file) and serve each of its hosts on loopback.

    `cost_profile` (a name, a JSON file or a `CostProfile`) and `time_scale` override the scenario's; without
    them the hosts cost what the scenario says, else nothing (`instant`).
    """
    from hvgui.emulator.scenarios import load_scenario  # the host model; imported only when needed

    loaded = load_scenario(scenario, seed=seed, cost_profile=cost_profile, time_scale=time_scale)
    return start_hosts(
        loaded.hosts,
        scenario=loaded,
        tls=tls,
        username=username,
        password=password,
        command_log=command_log,
        listen=listen,
        auth=auth,
    )
