"""Strict parameter binding: every engine error with its real message and FullyQualifiedErrorId."""

from __future__ import annotations

import uuid

import pytest
from model_harness import Harness, cmd
from psrpcore.types import ErrorCategory, PSObject

from hvgui.emulator.hyperv.binding import ActionPreference
from hvgui.emulator.hyperv.reference import VmState
from hvgui.emulator.runtime import TerminatingError

STOP = "Microsoft.HyperV.PowerShell.Commands.StopVM"
GET = "Microsoft.HyperV.PowerShell.Commands.GetVM"
BINDING_EXCEPTION = "System.Management.Automation.ParameterBindingException"


@pytest.fixture
def h() -> Harness:
    return Harness("demo")


def test_unknown_parameter_is_named_parameter_not_found(h: Harness) -> None:
    err = h.fails(cmd("Get-VM", Nmae="dc01"))
    assert err.fully_qualified_error_id == f"NamedParameterNotFound,{GET}"
    assert err.message == "A parameter cannot be found that matches parameter name 'Nmae'."
    assert err.category == ErrorCategory.InvalidArgument
    assert err.exception_types[0] == BINDING_EXCEPTION
    assert err.activity == "Get-VM"


def test_should_process_parameters_exist_only_where_documented(h: Harness) -> None:
    assert h.fails(cmd("Get-VM", WhatIf=True)).fully_qualified_error_id == f"NamedParameterNotFound,{GET}"
    assert h.run(cmd("Stop-VM", "dc01", WhatIf=True)).errors == []
    assert h.vm("dc01").state(h.clock()) is VmState.Running  # -WhatIf changed nothing


def test_names_are_case_insensitive_and_accept_aliases_and_prefixes(h: Harness) -> None:
    assert [str(o.Name) for o in h.run(cmd("Get-VM", nAmE="dc01")).output] == ["dc01"]
    assert [str(o.Name) for o in h.run(cmd("Get-VM", VMName="dc01")).output] == ["dc01"]
    assert [str(o.Name) for o in h.run(cmd("Get-VM", Na="dc01")).output] == ["dc01"]
    h.run(cmd("Stop-VM", "dc01", Turn=True, fo=True))
    assert h.vm("dc01").state(h.clock()) is VmState.Off


def test_an_ambiguous_prefix_lists_the_candidates(h: Harness) -> None:
    err = h.fails(cmd("Stop-VM", "dc01", P=True))
    assert err.fully_qualified_error_id == f"AmbiguousParameter,{STOP}"
    assert err.message == (
        "Parameter cannot be processed because the parameter name 'P' is ambiguous. "
        "Possible matches include: -Passthru -PipelineVariable."
    )


def test_parameters_of_different_sets_cannot_be_resolved(h: Harness) -> None:
    err = h.fails(cmd("Get-VM", Name="dc01", Id=uuid.uuid4()))
    assert err.fully_qualified_error_id == f"AmbiguousParameterSet,{GET}"
    assert err.message == "Parameter set cannot be resolved using the specified named parameters."


def test_missing_mandatory_parameter_is_an_error_not_a_prompt(h: Harness) -> None:
    err = h.fails(cmd("Stop-VM", Force=True))
    assert err.fully_qualified_error_id == f"MissingMandatoryParameter,{STOP}"
    assert err.message == "Cannot process command because of one or more missing mandatory parameters: Name."


def test_the_default_set_decides_which_mandatory_parameter_is_missing(h: Harness) -> None:
    err = h.fails(cmd("Get-VMIntegrationService", Name="Heartbeat"))
    assert err.message == "Cannot process command because of one or more missing mandatory parameters: VMName."
    err = h.fails(cmd("Enable-VMIntegrationService", Passthru=True))
    assert err.message.endswith("missing mandatory parameters: Name VMName.")


def test_extra_positional_argument(h: Harness) -> None:
    err = h.fails(cmd("Stop-VM", "dc01", "dc02"))
    assert err.fully_qualified_error_id == f"PositionalParameterNotFound,{STOP}"
    assert err.message == "A positional parameter cannot be found that accepts argument 'dc02'."


def test_positional_arguments_bind_by_position_across_sets(h: Harness) -> None:
    # Enable-VMIntegrationService's VMName set: -Name at position 0, -VMName at position 1.
    assert h.run(cmd("Enable-VMIntegrationService", "Guest Service Interface", "dc01")).errors == []
    assert h.vm("dc01").components["6C09BB55-D683-4DA0-8931-C9BF705F6480"].enabled
    # Get-VM: a Guid value binds -Id (position 0 of the Id set), a string binds -Name.
    vm_id = h.vm("sql01").id
    assert [o.Name for o in h.run(cmd("Get-VM", vm_id)).output] == ["sql01"]


def test_guid_conversion_failure_has_the_engine_message(h: Harness) -> None:
    err = h.fails(cmd("Get-VM", Id="not-a-guid"))
    assert err.fully_qualified_error_id == f"CannotConvertArgumentNoMessage,{GET}"
    assert err.message == (
        'Cannot bind parameter \'Id\'. Cannot convert value "not-a-guid" to type "System.Guid". Error: '
        '"Guid should contain 32 digits with 4 dashes (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)."'
    )


def test_guid_from_text_and_string_array_from_one_string(h: Harness) -> None:
    vm = h.vm("web01")
    assert [o.Name for o in h.run(cmd("Get-VM", Id=str(vm.id).upper())).output] == ["web01"]
    assert [o.Name for o in h.run(cmd("Get-VM", Name=["web01", "web02"])).output] == ["web01", "web02"]


def test_an_object_that_is_not_a_live_vm_cannot_bind_to_vm(h: Harness) -> None:
    err = h.fails(cmd("Start-VM", VM="dc01"))
    assert err.fully_qualified_error_id == "CannotConvertArgument,Microsoft.HyperV.PowerShell.Commands.StartVM"
    assert err.message == (
        'Cannot bind parameter \'VM\'. Cannot convert the "dc01" value of type "System.String" to type '
        '"Microsoft.HyperV.PowerShell.VirtualMachine".'
    )
    # What a client sends back after receiving a VM is a deserialized copy, which does not bind either.
    copy = PSObject()
    copy.PSObject.type_names = ["Deserialized.Microsoft.HyperV.PowerShell.VirtualMachine", "Deserialized.System.Object"]
    copy.PSObject.to_string = "VirtualMachine (Name = 'dc01') [Id = 'x']"
    err = h.fails(cmd("Stop-VM", VM=copy))
    assert 'of type "Deserialized.Microsoft.HyperV.PowerShell.VirtualMachine"' in err.message


def test_enum_values_bind_by_name_case_insensitively(h: Harness) -> None:
    sink = h.run(cmd("Get-VM", "missing", ErrorAction="silentlycontinue"))
    assert sink.errors == []
    err = h.fails(cmd("Get-VM", "missing", ea="Explode"))
    assert err.fully_qualified_error_id == f"CannotConvertArgumentNoMessage,{GET}"
    assert "Unable to match the identifier name Explode to a valid enumerator name." in err.message
    assert "SilentlyContinue, Stop, Continue, Inquire, Ignore, Suspend" in err.message
    assert h.run(cmd("Get-VM", "missing", ErrorAction=0)).errors == []  # 0 = SilentlyContinue


def test_switches_take_booleans_and_reject_text() -> None:
    h = Harness("demo", host=2)  # devbox-01 has its Shutdown integration service disabled
    h.run(cmd("Stop-VM", "devbox-01", Force=False, ErrorAction="SilentlyContinue"))
    assert h.vm("devbox-01").state(h.clock()) is VmState.Running  # -Force:$false is no -Force
    err = h.fails(cmd("Stop-VM", "devbox-01", Force="yes"))
    assert err.fully_qualified_error_id == f"ParameterArgumentTransformationError,{STOP}"
    assert "Boolean parameters accept only Boolean values and numbers" in err.message


def test_a_parameter_given_twice(h: Harness) -> None:
    err = h.fails(cmd("Get-VM", Name="a", VMName="b"))
    assert err.fully_qualified_error_id == f"ParameterAlreadyBound,{GET}"


def test_empty_names_fail_validation(h: Harness) -> None:
    err = h.fails(cmd("Start-VM", Name=""))
    assert (
        err.fully_qualified_error_id == "ParameterArgumentValidationError,Microsoft.HyperV.PowerShell.Commands.StartVM"
    )
    assert err.category == ErrorCategory.InvalidData
    assert err.message == (
        "Cannot validate argument on parameter 'Name'. The argument is null, empty, or an element of the argument "
        "collection contains a null value. Supply a collection that does not contain any null values and then try "
        "the command again."
    )
    err = h.fails(cmd("Start-VM", Name=[]))
    assert err.message.startswith("Cannot validate argument on parameter 'Name'. The argument is null or empty.")


def test_unknown_command_is_a_terminating_command_not_found(h: Harness) -> None:
    err = h.fails(cmd("Get-VMFoo"))
    assert err.fully_qualified_error_id == "CommandNotFoundException"
    assert err.category == ErrorCategory.ObjectNotFound
    assert err.target_name == "Get-VMFoo"
    assert err.message.startswith("The term 'Get-VMFoo' is not recognized as the name of a cmdlet, function")


def test_binding_errors_fail_the_pipeline_before_anything_runs(h: Harness) -> None:
    err = h.fails(cmd("Get-VM", "dc01"), cmd("Stop-VM", TurnOff=True, Bogus=1))
    assert err.fully_qualified_error_id == f"NamedParameterNotFound,{STOP}"
    assert h.vm("dc01").state(h.clock()) is VmState.Running


def test_module_qualified_cmdlet_names(h: Harness) -> None:
    assert [o.Name for o in h.run(cmd("Hyper-V\\Get-VM", "dc01")).output] == ["dc01"]


def test_pipeline_binds_vm_objects_by_value(h: Harness) -> None:
    sink = h.run(cmd("Get-VM", Name="dc01"), cmd("Stop-VM", TurnOff=True, Force=True))
    assert sink.errors == [] and sink.output == []
    assert h.vm("dc01").state(h.clock()) is VmState.Off


def test_pipeline_binds_client_input_strings_to_name(h: Harness) -> None:
    sink = h.run(cmd("Get-VM"), pipeline_input=["web01", "sql01"])
    assert [o.Name for o in sink.output] == ["web01", "sql01"]


def test_a_record_no_parameter_takes_is_an_error_for_that_record(h: Harness) -> None:
    sink = h.run(cmd("Disable-VMIntegrationService"), pipeline_input=["not a component"])
    assert [e.fully_qualified_error_id for e in sink.errors] == [
        "InputObjectNotBound,Microsoft.HyperV.PowerShell.Commands.DisableVMIntegrationService"
    ]
    assert sink.errors[0].target_object == "not a component"


def test_error_action_stop_makes_a_cmdlet_error_terminating(h: Harness) -> None:
    sink = h.run(cmd("Get-VM", "missing"))
    assert len(sink.errors) == 1  # non-terminating by default
    err = h.fails(cmd("Get-VM", "missing", ErrorAction="Stop"))
    assert err.fully_qualified_error_id == f"InvalidParameter,{GET}"


def test_warning_action_controls_warnings(h: Harness) -> None:
    assert h.run(cmd("Start-VM", "dc01")).warnings == ["The virtual machine is already in the specified state."]
    assert h.run(cmd("Start-VM", "dc01", WarningAction="SilentlyContinue")).warnings == []
    with pytest.raises(TerminatingError) as failure:
        h.run(cmd("Start-VM", "dc01", WarningAction=ActionPreference.Stop.name))
    assert (
        failure.value.error.fully_qualified_error_id
        == "ActionPreferenceStop,Microsoft.HyperV.PowerShell.Commands.StartVM"
    )


def test_common_parameters_are_accepted_everywhere(h: Harness) -> None:
    sink = h.run(cmd("Get-VMHost", Verbose=True, ErrorVariable="e", OutVariable="o", OutBuffer=5, ea="Continue"))
    assert len(sink.output) == 1


def test_restart_vm_wait_is_mandatory_in_the_wait_sets(h: Harness) -> None:
    # The docs' SYNTAX says optional, their PARAMETERS and the cmdlet say mandatory.
    err = h.fails(cmd("Restart-VM", "dc01", For="Heartbeat", Force=True))
    assert err.message == "Cannot process command because of one or more missing mandatory parameters: Wait."
