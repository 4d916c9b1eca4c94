"""Sessions that are safe: a refused password is tried once, the refresh loop survives its own defects,
`close()` always closes, and a host that stops answering is marked stale."""

from __future__ import annotations

import asyncio
import dataclasses
import logging

import pytest
from remoting_support import Recorder, closed_port, is_inventory, is_status, run

from hvgui.domain.connection import AuthMethod, ConnectionSettings, HostState
from hvgui.domain.errors import AuthenticationFailed, AuthenticationMethodRefused, ProtocolError
from hvgui.emulator import RunningEmulator
from hvgui.remoting import Backoff, SessionManager
from hvgui.remoting.session_manager import HostSession


def _quick_backoff() -> Backoff:
    return Backoff(initial=0.05, maximum=0.05)


def test_a_wrong_password_is_tried_once_and_new_credentials_reconnect(demo: RunningEmulator) -> None:
    endpoint = demo.endpoints[0]
    service = demo.server(endpoint.host_name).service

    async def body() -> None:
        manager = SessionManager(refresh_interval=0.1, backoff=_quick_backoff)
        recorder = Recorder()
        manager.subscribe(recorder)
        settings = dataclasses.replace(endpoint.connection_settings(), username="someone-else")
        session = manager.add_host(settings, "not the password")
        failed = await recorder.wait_for_state(session.key, HostState.Failed)
        assert isinstance(failed.error, AuthenticationFailed)
        assert failed.needs_credentials and failed.next_retry_at is None
        await asyncio.sleep(1.0)  # twenty backoff periods: a scheduled retry would have shown by now
        assert service.rejected_logins == 1
        assert session.status.state is HostState.Failed
        assert session.is_stale and "refused these credentials" in (session.staleness_warning() or "")

        start = len(recorder.events)
        session.update_credentials(endpoint.username, endpoint.password)
        connected = await recorder.wait_for_state(session.key, HostState.Connected, start=start)
        assert connected.error is None and connected.vm_count > 0
        assert session.settings.username == endpoint.username
        assert service.rejected_logins == 1
        await manager.aclose()

    run(body)


def test_an_authentication_method_the_listener_lacks_is_not_a_wrong_password(demo: RunningEmulator) -> None:
    endpoint = demo.endpoints[0]

    async def body() -> None:
        manager = SessionManager(backoff=_quick_backoff)
        recorder = Recorder()
        manager.subscribe(recorder)
        settings = dataclasses.replace(endpoint.connection_settings(), auth=AuthMethod.Ntlm)
        session = manager.add_host(settings, endpoint.password)
        failed = await recorder.wait_for_state(session.key, HostState.Failed)
        assert isinstance(failed.error, AuthenticationMethodRefused)
        assert not isinstance(failed.error, AuthenticationFailed)
        assert "ntlm" in failed.error.message and "Basic" in failed.error.message
        assert failed.next_retry_at is not None  # not a password problem: the backoff goes on
        await manager.aclose()

    run(body)


def test_a_crash_inside_the_refresh_loop_restarts_it(demo: RunningEmulator, caplog: pytest.LogCaptureFixture) -> None:
    endpoint = demo.endpoints[0]

    async def body() -> None:
        manager = SessionManager(refresh_interval=0.1)
        recorder = Recorder()
        manager.subscribe(recorder)
        session = manager.add_host(endpoint.connection_settings(), endpoint.password)
        await recorder.wait_for_state(session.key, HostState.Connected)
        real_reset = session._backoff.reset
        crashes = []

        def reset_that_crashes_once() -> None:
            if not crashes:
                crashes.append(1)
                raise RuntimeError("defect in the loop")
            real_reset()

        session._backoff.reset = reset_that_crashes_once  # type: ignore[method-assign]
        start = len(recorder.events)
        failed_at = await recorder.wait_for(is_status(session.key, HostState.Failed), start=start)
        failed = recorder.events[failed_at][1]
        assert isinstance(failed.error, ProtocolError) and "defect in the loop" in failed.error.message
        assert failed.stale
        refreshed_before = failed.last_refresh_at
        await recorder.wait_for_state(session.key, HostState.Connected, start=failed_at)
        assert session.loop_restarts == 1
        assert session.status.last_refresh_at is not None and session.status.last_refresh_at > refreshed_before
        await manager.aclose()

    with caplog.at_level(logging.ERROR, logger="hvgui.remoting.session_manager"):
        run(body)
    assert "the refresh loop of" in caplog.text and "starting it again" in caplog.text


def test_close_closes_the_connection_even_when_the_loop_task_failed(
    demo: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint = demo.endpoints[0]

    async def broken_run(self: HostSession) -> None:
        await self.fetch_inventory()  # opens the pool, so there is something to close
        raise RuntimeError("the task itself died")

    monkeypatch.setattr(HostSession, "_run", broken_run)

    async def body() -> None:
        manager = SessionManager()
        session = manager.add_host(endpoint.connection_settings(), endpoint.password)
        assert session._task is not None
        await asyncio.wait([session._task])
        assert isinstance(session._task.exception(), RuntimeError)
        assert session.connection.pools_opened == 1
        await manager.aclose()
        assert session.connection.closed
        assert session.status.state is HostState.Closed

    run(body)
    assert demo.server(endpoint.host_name).service.shell_count == 0  # the pool was closed on the host


def test_a_host_that_stops_answering_is_marked_stale_then_fresh_again(demo: RunningEmulator) -> None:
    endpoint = demo.endpoints[0]
    service = demo.server(endpoint.host_name).service

    async def body() -> None:
        manager = SessionManager(refresh_interval=0.1)
        recorder = Recorder()
        manager.subscribe(recorder)
        session = manager.add_host(endpoint.connection_settings(), endpoint.password)
        connected = await recorder.wait_for_state(session.key, HostState.Connected)
        assert not connected.stale and connected.last_refresh_at is not None and not session.is_stale
        start = len(recorder.events)
        service.pause_receives(6.0)
        stale_at = await recorder.wait_for(lambda kind, e: kind == "status" and e.stale, start=start)
        stale = recorder.events[stale_at][1]
        assert stale.state is HostState.Connected  # still connected as far as anyone knows, but not current
        assert session.is_stale and (session.data_age or 0) > 0
        assert "not answering" in (session.staleness_warning() or "")
        fresh_at = await recorder.wait_for(lambda kind, e: kind == "status" and not e.stale, start=stale_at)
        fresh = recorder.events[fresh_at][1]
        assert fresh.last_refresh_at is not None and fresh.last_refresh_at > (stale.last_refresh_at or 0)
        assert not session.is_stale
        await recorder.wait_for(is_inventory(session.key))
        await manager.aclose()

    run(body)


def test_a_failing_host_warns_with_its_reason_before_an_action_waits() -> None:
    async def body() -> None:
        manager = SessionManager(backoff=_quick_backoff)
        recorder = Recorder()
        manager.subscribe(recorder)
        settings = ConnectionSettings("127.0.0.1", closed_port(), use_https=False, auth=AuthMethod.Basic, username="u")
        session = manager.add_host(settings, "pw")
        await recorder.wait_for_state(session.key, HostState.Failed)
        warning = session.staleness_warning() or ""
        assert warning.startswith("127.0.0.1 is not connected (no data yet): Nothing is listening")
        await manager.aclose()

    run(body)
