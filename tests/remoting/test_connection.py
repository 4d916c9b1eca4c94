"""HostConnection against emulated hosts: pools, the module, failures, cancellation and timeouts."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import socket
import threading
from pathlib import Path

import pytest
from pypsrp.wsman import WSManAction
from remoting_support import FreezableProxy, closed_port, read_command_log, run

from hvgui.domain.connection import AuthMethod, ConnectionSettings
from hvgui.domain.errors import (
    AuthenticationFailed,
    ConnectionFailed,
    HostCommandError,
    HostUnreachable,
    OperationTimedOut,
    TlsFailure,
)
from hvgui.emulator import RunningEmulator
from hvgui.remoting.connection import HostConnection, wsman_options
from hvgui.remoting.errors import AUTH_FAILED_MESSAGE
from hvgui.remoting.hostapi import HostApi
from hvgui.remoting.pipeline import PipelineSpec


def _connection(emulator: RunningEmulator, index: int = 0, **overrides: object) -> HostConnection:
    endpoint = emulator.endpoints[index]
    settings = dataclasses.replace(endpoint.connection_settings(), **overrides)
    return HostConnection(settings, endpoint.password, connect_timeout=5, operation_timeout=20)


def _module_loads(log: list[dict], host: str) -> int:
    return sum(1 for entry in log if entry["host"] == host and entry["script"] == "hvgui-module")


def test_wsman_options_follow_the_settings() -> None:
    basic_http = ConnectionSettings("hv01", 5985, use_https=False, auth=AuthMethod.Basic, username="u")
    options = wsman_options(basic_http, "pw", connect_timeout=4, operation_timeout=20)
    assert (options["ssl"], options["port"], options["path"], options["auth"]) == (False, 5985, "wsman", "basic")
    assert options["encryption"] == "never"  # the only way pypsrp allows Basic over HTTP
    assert options["connection_timeout"] == 4
    assert options["read_timeout"] > options["operation_timeout"] == 20

    negotiate_http = dataclasses.replace(basic_http, auth=AuthMethod.Negotiate)
    assert wsman_options(negotiate_http, "pw", connect_timeout=4, operation_timeout=20)["encryption"] == "auto"

    https_ca = ConnectionSettings("hv01", auth=AuthMethod.Kerberos, ca_file="/etc/ca.pem")
    options = wsman_options(https_ca, "pw", connect_timeout=4, operation_timeout=2.5)
    assert (options["ssl"], options["encryption"], options["cert_validation"]) == (True, "auto", "/etc/ca.pem")
    assert options["operation_timeout"] == 3
    unchecked = dataclasses.replace(https_ca, verify_certificate=False)
    assert wsman_options(unchecked, "pw", connect_timeout=4, operation_timeout=20)["cert_validation"] is False
    system_store = dataclasses.replace(https_ca, ca_file=None)
    assert wsman_options(system_store, "pw", connect_timeout=4, operation_timeout=20)["cert_validation"] is True


def test_module_is_loaded_once_per_pool(demo: RunningEmulator, command_log: Path) -> None:
    host = demo.endpoints[0].host_name

    async def body() -> None:
        connection = _connection(demo)
        api = HostApi(connection)
        for _ in range(3):
            await api.inventory()
        assert (connection.pools_opened, connection.module_loads) == (1, 1)
        assert _module_loads(read_command_log(command_log), host) == 1

        demo.server(host).stop()  # the host drops: the pool is gone
        with pytest.raises(HostUnreachable):
            await api.inventory()
        demo.server(host).start()
        await api.inventory()
        await api.inventory()
        assert (connection.pools_opened, connection.module_loads) == (2, 2)
        assert _module_loads(read_command_log(command_log), host) == 2
        await connection.close()

    run(body)
    inventory_calls = [e for e in read_command_log(command_log) if e["command"] == "Get-HvGuiInventory"]
    assert len(inventory_calls) == 5  # one round trip per refresh (the failed one never reached the host)


def test_host_errors_keep_the_pool(demo: RunningEmulator) -> None:
    async def body() -> None:
        connection = _connection(demo)
        with pytest.raises(HostCommandError) as caught:
            await connection.run(PipelineSpec.cmdlet("Get-VM").param("Bogus", "x"))  # a terminating binding error
        assert caught.value.error_id == "NamedParameterNotFound"
        assert caught.value.message
        with pytest.raises(HostCommandError) as caught:
            await connection.run(PipelineSpec.cmdlet("Get-NoSuchThing"))
        assert caught.value.error_id == "CommandNotFoundException"
        assert caught.value.category == "ObjectNotFound"
        nothing = await HostApi(connection).get_vms("no such vm")  # non-terminating: an answer, not a failure
        assert nothing == []
        assert connection.pools_opened == 1
        await connection.close()

    run(body)


def test_awkward_names_travel_verbatim(demo: RunningEmulator) -> None:
    awkward = 'it\'s "quoted" $(Remove-Item C:\\) `backtick` \n second line; zürich 東京 ☃'
    model = demo.scenario.hosts[0].model
    with model.lock:
        vm = model.vms_by_name()[0]
        vm.name = awkward  # renamed on the host, as an administrator may do in Hyper-V Manager

    async def body() -> None:
        connection = _connection(demo)
        api = HostApi(connection)
        (found,) = await api.get_vms(awkward)
        assert found.name == awkward
        assert found.vm_id == str(vm.id)
        report = await api.inventory()
        assert awkward in [v.name for v in report.inventory.vms]
        await connection.close()

    run(body)


def test_wrong_password(demo: RunningEmulator) -> None:
    async def body() -> None:
        endpoint = demo.endpoints[0]
        connection = HostConnection(endpoint.connection_settings(), endpoint.password + "x", connect_timeout=5)
        with pytest.raises(AuthenticationFailed) as caught:
            await HostApi(connection).inventory()
        assert caught.value.message == AUTH_FAILED_MESSAGE
        assert connection.pools_opened == 0
        await connection.close()

    run(body)


def test_nothing_listening() -> None:
    async def body() -> None:
        port = closed_port()
        settings = ConnectionSettings("127.0.0.1", port, use_https=False, auth=AuthMethod.Basic, username="u")
        connection = HostConnection(settings, "p", connect_timeout=5)
        with pytest.raises(HostUnreachable) as caught:
            await HostApi(connection).inventory()
        assert f"127.0.0.1:{port}" in caught.value.message
        assert "winrm quickconfig" in caught.value.hint
        await connection.close()

    run(body)


def test_a_host_that_accepts_but_never_answers_times_out() -> None:
    silent = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def accept_and_hold() -> None:
        with contextlib.suppress(OSError):
            while True:
                held.append(silent.accept()[0])

    threading.Thread(target=accept_and_hold, daemon=True).start()
    port = silent.getsockname()[1]

    async def body() -> None:
        settings = ConnectionSettings("127.0.0.1", port, use_https=False, auth=AuthMethod.Basic, username="u")
        connection = HostConnection(settings, "p", connect_timeout=5, operation_timeout=1, read_timeout=2)
        with pytest.raises(OperationTimedOut) as caught:
            await HostApi(connection).inventory()
        assert f"127.0.0.1:{port}" in caught.value.message
        await connection.close()

    try:
        run(body)
    finally:
        with contextlib.suppress(OSError):
            silent.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        silent.close()
        for sock in held:
            sock.close()


def test_tls_with_and_without_the_ca_file(demo_tls: RunningEmulator) -> None:
    async def body() -> None:
        trusted = _connection(demo_tls)
        assert trusted.settings.ca_file
        report = await HostApi(trusted).inventory()
        assert report.host_name == demo_tls.endpoints[0].host_name
        await trusted.close()

        untrusted = _connection(demo_tls, ca_file=None)
        with pytest.raises(TlsFailure) as caught:
            await HostApi(untrusted).inventory()
        assert "not trusted" in caught.value.message and "CA file" in caught.value.hint
        await untrusted.close()

        plain = _connection(demo_tls, use_https=False)
        with pytest.raises(HostUnreachable):
            await HostApi(plain).inventory()
        await plain.close()

    run(body)


def test_cancelling_a_slow_call_leaves_the_connection_usable(demo: RunningEmulator, command_log: Path) -> None:
    host = demo.scenario.hosts[0]

    async def body() -> None:
        connection = _connection(demo)
        api = HostApi(connection)
        await api.inventory()
        host.delay = 600.0
        slow = asyncio.create_task(api.inventory())
        while not [e for e in read_command_log(command_log) if e["command"] == "Get-HvGuiInventory"][1:]:
            await asyncio.sleep(0.05)  # the host received the slow call
        slow.cancel()
        with pytest.raises(asyncio.CancelledError):
            await slow
        host.delay = 0.0
        report = await api.inventory()
        assert report.inventory.vms
        assert connection.pools_opened == 1  # the pipeline was stopped; the pool stayed good
        await connection.close()

    run(body)


def test_a_call_that_runs_out_of_time_is_stopped(demo: RunningEmulator) -> None:
    host = demo.scenario.hosts[0]

    async def body() -> None:
        connection = _connection(demo)
        api = HostApi(connection)
        await api.inventory()
        host.delay = 600.0
        with pytest.raises(OperationTimedOut):
            await api.inventory(timeout=1)
        host.delay = 0.0
        assert (await api.inventory()).inventory.vms
        assert connection.pools_opened == 1
        await connection.close()

    run(body)


def test_a_worker_stuck_on_a_silent_host_is_replaced(
    demo: RunningEmulator, command_log: Path, caplog: pytest.LogCaptureFixture
) -> None:
    endpoint = demo.endpoints[0]
    host = demo.scenario.hosts[0]
    proxy = FreezableProxy(endpoint.port)

    async def body() -> None:
        settings = dataclasses.replace(endpoint.connection_settings(), port=proxy.port)
        # A short HTTP read time-out shortens the grace before the worker counts as stuck; the stuck Receive
        # still outlasts it, as pypsrp re-sends a timed-out Receive five times.
        connection = HostConnection(settings, endpoint.password, connect_timeout=5, operation_timeout=1, read_timeout=3)
        api = HostApi(connection)
        await api.inventory(timeout=30)  # the short operation timeout is for the silent phase only
        host.delay = 600.0
        # The host goes silent mid-call: once the worker polls for the call's output, its Receive hangs.
        proxy.freeze_after(WSManAction.RECEIVE.encode())
        slow = asyncio.create_task(api.inventory())
        while not [e for e in read_command_log(command_log) if e["command"] == "Get-HvGuiInventory"][1:]:
            await asyncio.sleep(0.05)  # the call runs on the host
        with caplog.at_level(logging.WARNING, logger="hvgui.remoting.connection"), pytest.raises(OperationTimedOut):
            await slow
        assert proxy.frozen.is_set()
        assert "is stuck; starting a new one" in caplog.text
        proxy.frozen.clear()
        host.delay = 0.0
        assert (await api.inventory(timeout=30)).inventory.vms  # answered on a new worker with a new pool
        assert connection.pools_opened == 2
        await connection.close()

    try:
        run(body)
    finally:
        host.delay = 0.0
        proxy.close()


def test_closed_connection_refuses_calls(demo: RunningEmulator) -> None:
    async def body() -> None:
        connection = _connection(demo)
        await HostApi(connection).inventory()
        await connection.close()
        await connection.close()
        assert connection.closed
        with pytest.raises(ConnectionFailed, match="closed"):
            await HostApi(connection).inventory()

    run(body)
