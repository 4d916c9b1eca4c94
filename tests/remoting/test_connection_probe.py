"""Test connection against emulated hosts: what the host is, how it was reached, and the usual errors."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from hvgui.domain.errors import AuthenticationFailed
from hvgui.remoting.probe import test_connection as probe_host


def test_a_tls_host_is_described(demo_tls) -> None:
    endpoint = demo_tls.endpoints[0]
    host = next(h for h in demo_tls.scenario.hosts if h.model.name == endpoint.host_name)
    report = asyncio.run(probe_host(endpoint.connection_settings(), endpoint.password))
    assert report.host_name == endpoint.host_name
    assert "Windows Server 2022" in report.os and "20348" in report.os
    assert report.hyperv_version.startswith("VM configuration versions up to")
    assert report.vm_count == len(host.model.vms)
    assert report.authentication == f"Basic as {endpoint.username}, inside TLS"
    assert "TLS" in report.tls and "certificate verified" in report.tls and "SHA-256" in report.tls
    assert report.round_trip_ms > 0
    assert dict(report.lines())["Virtual machines"] == str(len(host.model.vms))


def test_plain_http_says_so(demo) -> None:
    endpoint = demo.endpoints[0]
    report = asyncio.run(probe_host(endpoint.connection_settings(), endpoint.password))
    assert report.tls.startswith("HTTP on port")
    assert report.authentication.endswith("unencrypted")


def test_a_wrong_password_is_the_sessions_error(demo) -> None:
    endpoint = demo.endpoints[0]
    with pytest.raises(AuthenticationFailed):
        asyncio.run(probe_host(replace(endpoint.connection_settings()), "wrong-" + endpoint.password))
