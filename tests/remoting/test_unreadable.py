"""Nothing the host sends is dropped silently: what cannot be read is logged, counted, and the list says so."""

from __future__ import annotations

import json
import logging

import pytest
from remoting_support import run

from hvgui.domain.listing import Listing
from hvgui.emulator import RunningEmulator
from hvgui.remoting.connection import HostConnection
from hvgui.remoting.hostapi import HostApi
from hvgui.remoting.parse import parse_inventory
from hvgui.remoting.unreadable import is_unreadable_object, split_unreadable

#: What pypsrp hands back for an object whose CLIXML holds a raw control character.
RAW = '<Obj RefId="0"><TN RefId="0"><T>Microsoft.HyperV.PowerShell.VMSnapshot</T></TN><ToString>a\x07b</ToString></Obj>'


def test_a_checkpoint_with_a_control_character_in_its_name_is_listed_or_reported(
    demo: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    endpoint = demo.endpoints[0]
    name = "bell\x07name"

    async def body() -> Listing:
        connection = HostConnection(endpoint.connection_settings(), endpoint.password)
        api = HostApi(connection)
        vm = (await api.inventory()).inventory.vms[0]
        before = await api.list_checkpoints(vm.vm_id)
        assert before.complete
        await api.checkpoint(vm.vm_id, name)
        after = await api.list_checkpoints(vm.vm_id)
        await connection.close()
        return after

    with caplog.at_level(logging.WARNING, logger="hvgui.remoting"):
        listing = run(body)
    names = [checkpoint.name for checkpoint in listing]
    assert names.count(name) + listing.unreadable == 1  # either read faithfully or counted, never lost
    if listing.unreadable:
        assert not listing.complete and "could not be read" in listing.incomplete_text()
        assert "cannot read" in caplog.text


def test_raw_clixml_is_told_apart_from_strings() -> None:
    assert is_unreadable_object(RAW)
    assert not is_unreadable_object('<Obj RefId="0"><ToString>fine</ToString></Obj>')  # a string that parses
    assert not is_unreadable_object("bell\x07name")
    assert not is_unreadable_object(42)
    readable, unreadable = split_unreadable(["a", RAW, "b"], command="Get-VMSnapshot", endpoint="hv01:5985")
    assert readable == ("a", "b") and unreadable == 1


def test_inventory_rows_that_cannot_be_read_are_counted() -> None:
    document = {"v": 1, "host": "HV01", "vms": [{"id": "9c7f0a4e-1b7c-4d7e-9a53-6a0f0d7f4b11", "name": "a"}, 7, {}]}
    report = parse_inventory(json.dumps(document), host="http://hv01:5985", fetched_at=0.0)
    assert [vm.name for vm in report.inventory.vms] == ["a"]
    assert report.inventory.unreadable == 2
