"""``ml-connector ping`` checks every table and orchestration the enabled flows use, named by flow.

Ping said JD Edwards was fine while F0911 (read by the JDE -> Coupa invoices flow) was
refused, and the flow then failed every partition. These tests run the CLI against a JDE sandbox on a
free port whose operator refuses a table (or an orchestration) to the connector's user.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from click.testing import CliRunner
from coupa_support import (  # noqa: F401  (fixtures are used by name)
    _fresh_state,
    box,
    coupa,
)
from sandbox_logins import jde_settings_env

from connector_assets.definitions import DEPLOYMENT, defs
from connector_assets.flows.access import flow_access, ping_needs
from connector_assets.jde.tables import JDE_TABLES
from connector_cli.main import cli
from connector_resources.coupa import CoupaError
from connector_resources.coupa.entities import ALL_SCOPES
from connector_sandbox.jde_ais import JdeSandboxSettings, create_app
from connector_sandbox.serve import serve_in_thread


@pytest.fixture(scope="module")
def jde_url() -> Iterator[str]:
    base_url, stop = serve_in_thread(create_app(JdeSandboxSettings(scale=0.05)), path="/jderest")
    try:
        yield base_url
    finally:
        stop()


@pytest.fixture
def env(jde_url, tmp_path, monkeypatch) -> Iterator[str]:
    jde_settings_env(monkeypatch, tmp_path, jde_url)
    yield jde_url
    _faults(jde_url, reset=True)


def _faults(jde_url: str, reset: bool = False, **changes) -> None:
    root = jde_url.rsplit("/jderest", 1)[0]
    if reset:
        requests.post(f"{root}/sandbox/faults/reset", timeout=30).raise_for_status()
    else:
        requests.post(f"{root}/sandbox/faults", json=changes, timeout=30).raise_for_status()


def _ping_jde():
    return CliRunner().invoke(cli, ["ping", "--system", "jde_ais"])


def _failed_ping(jde_url: str, **fault: list[str]) -> str:
    """What ``ping --system jde_ais`` printed with ``fault`` set in the simulator; the ping must fail."""
    _faults(jde_url, **fault)
    result = _ping_jde()
    assert result.exit_code == 1, result.output
    return result.output


def _enabled_flows() -> list[str]:
    graph = defs.resolve_asset_graph()
    return [flow for flow, spec in DEPLOYMENT.specs.items() if graph.has(spec.key("mapped"))]


def test_ping_fails_naming_the_refused_table_and_the_flow_that_reads_it(env):
    output = _failed_ping(env, refuse_tables=["F0911"])
    assert "FAIL jde_ais" in output
    assert "F0911 not readable" in output
    needed_by = output.split("needed by", 1)[1]
    assert "jde_coupa_invoices" in needed_by and "jde_bill_bills" in needed_by  # both read F0911


def test_ping_checks_f0414_for_every_flow_recording_jde_payments(env):
    """F0414 (A/P payment detail) is where a payment JDE already holds is recognised (``payment_repeats``):
    every flow that records payments through ML_RecordPayment reads it, so ping checks it for them."""
    recording = sorted(
        flow
        for flow in _enabled_flows()
        if "ML_RecordPayment" in DEPLOYMENT.specs[flow].writes.get("JDE", ())
    )
    assert {"coupa_jde_payments", "jde_bill_payments", "jde_procurify_payments"} <= set(recording)
    output = _failed_ping(env, refuse_tables=["F0414"])
    assert "F0414 not readable" in output
    needed_by = output.split("F0414 not readable", 1)[1].split("needed by ", 1)[1].split(" (optional", 1)[0]
    assert sorted(needed_by.split(" | ", 1)[0].split(", ")) == recording


def test_ping_fails_naming_an_orchestration_the_user_may_not_call(env):
    output = _failed_ping(env, refuse_orchestrations=["ML_RecordPayment"])
    assert "orchestration ML_RecordPayment not offered" in output
    assert "needed by coupa_jde_payments" in output
    assert "ML_CreateVoucherBatch" not in output.split("FAIL", 1)[1].split("not offered")[0]


def test_ping_passes_when_every_table_is_readable_and_reads_exactly_what_the_flows_use(env):
    result = _ping_jde()
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if "jde_ais" in x)
    assert line.startswith("ok   jde_ais"), result.output
    checked = set(line.split("table(s) (", 1)[1].split(")", 1)[0].split(", "))

    # What the flows use, worked out here from each enabled flow's mapped-asset inputs and its spec.
    by_asset = {t.asset: t.table for t in JDE_TABLES}
    wanted: set[str] = set()
    for flow in _enabled_flows():
        spec = DEPLOYMENT.specs[flow]
        parents = defs.resolve_asset_graph().get(spec.key("mapped")).parent_keys
        wanted |= {by_asset[k] for k in parents if k in by_asset}
        wanted |= set(spec.reads.get("JDE", ()))
    assert checked == wanted
    assert {"F0911", "F0411Z1", "F0901"} <= checked  # read outside the staged sources / cached
    offered = (
        "ML_AddUpdateSupplier, ML_CreateJournalBatch, ML_CreatePurchaseOrder, ML_CreateVoucherBatch, "
        "ML_RecordPayment, ML_UpdatePurchaseOrder"  # Procore -> JDE adds suppliers and purchase orders
    )
    assert f"orchestrations offered ({offered})" in line


def test_every_enabled_flow_is_accounted_for():
    access = flow_access(defs, DEPLOYMENT.specs)
    flows = set(_enabled_flows())
    assert {"jde_coupa_invoices", "coupa_jde_invoices", "coupa_jde_payments"} <= flows
    assert {
        f"procore_jde_{f}" for f in ("vendors", "suppliers", "purchase_orders", "vouchers", "change_orders")
    } <= flows
    used = {f for system in access.reads.values() for names in system.values() for f in names}
    used |= {f for system in access.writes.values() for names in system.values() for f in names}
    assert used == flows  # every enabled flow reads or writes something ping checks
    # every flow's target writes are declared, so ping reports them (checked or said to be unchecked)
    for flow in flows:
        spec = DEPLOYMENT.specs[flow]
        assert access.writes.get(spec.target_system), flow


# -- Coupa: the entities the flows read and write, each with the flows needing it -----------------------


def _coupa_needs() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    return ping_needs(flow_access(defs, DEPLOYMENT.specs))["coupa"]


def test_coupa_ping_names_an_entity_a_flow_reads_that_the_client_cannot_read(box):  # noqa: F811
    reads, writes = _coupa_needs()
    assert reads["invoices"] == ["coupa_jde_invoices"]
    coupa(box).ping(reads, writes)  # every entity readable, every write scope granted
    box.settings(resource_scopes={"invoices": "core.payables.invoice"})  # a family our client lacks
    with pytest.raises(CoupaError, match=r"invoices: .*403.*: needed by coupa_jde_invoices"):
        coupa(box).ping(reads, writes)


def test_coupa_ping_names_a_write_scope_the_flows_need_but_the_resource_lacks(box):  # noqa: F811
    reads, writes = _coupa_needs()
    scopes = " ".join(s for s in ALL_SCOPES if s != "core.pay.payments.write")
    needed = r"payments not writable \(scope core\.pay\.payments\.write .*\): needed by coupa_jde_payments"
    with pytest.raises(CoupaError, match=needed):
        coupa(box, scopes=scopes).ping(reads, writes)


# -- nothing a flow module reads from or runs in JDE escapes the declaration ------------------------------

JDE_CALLS = {"browse_in": 1, "browse": 0, "sample": 0, "count": 0, "orchestrate": 0}  # call -> table arg


def _parse(source: str):
    """``ast.parse``, tried again on CPython 3.11.7's spurious "AST constructor recursion depth mismatch"
    (gh-106905, fixed in 3.11.8): the AST module's depth counter is shared by the interpreter's threads,
    and a simulator thread formatting a traceback (3.11 parses the line for its ^^^ markers) meanwhile
    trips it. The source is the same each time, so a retry is the honest answer."""
    import ast

    for attempt in range(3):
        try:
            return ast.parse(source)
        except SystemError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _jde_names_used_in(module) -> tuple[set[str], list[str]]:
    """The table / orchestration names a module's JDE calls pass, evaluated in the module's namespace;
    and the arguments that are local values (e.g. a loop's ``spec.table``), which cannot be."""
    import ast
    import inspect

    found, local = set(), []
    for node in ast.walk(_parse(inspect.getsource(module))):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        position = JDE_CALLS.get(name)
        if position is None or len(node.args) <= position:
            continue
        text = ast.unparse(node.args[position])
        try:
            value = eval(text, vars(module))  # constants and module-level names only
        except NameError:
            local.append(text)
            continue
        if isinstance(value, str) and (value[:1] == "F" and value[1:5].isdigit() or value.startswith("ML_")):
            found.add(value)
    return found, local


def _integration_modules() -> list:
    """Every module of every integration package, and the shared JDE readers and targets they use."""
    import importlib
    import pkgutil

    import connector_assets.jde.batch_targets as batch_targets
    import connector_assets.jde.documents as documents
    import connector_assets.jde.payment_repeats as payment_repeats
    import connector_assets.jde.payment_targets as payment_targets
    import connector_assets.jde.targets as targets
    from connector_assets.deployment import integration_components

    modules = [documents, payment_repeats, targets, batch_targets, payment_targets]
    for component in integration_components():
        package = importlib.import_module(component.package)
        for info in pkgutil.iter_modules(package.__path__):
            modules.append(importlib.import_module(f"{package.__name__}.{info.name}"))
    return modules


def _target_names(module) -> set[str]:
    """The orchestration and tables of each JDE target an integration module defines (its calls pass
    ``self.orchestration``, which the call scan cannot evaluate). The shared targets module
    defines them all, used or not: only an integration's own subclasses count as used."""
    from connector_assets.jde.targets import JdeTarget

    if not module.__name__.startswith("connector_assets.integrations."):
        return set()
    return {
        name
        for obj in vars(module).values()
        if isinstance(obj, type) and issubclass(obj, JdeTarget) and obj.__module__ == module.__name__
        for name in (
            *(getattr(obj, a) for a in ("orchestration", "batch_table", "search_table") if hasattr(obj, a)),
            *obj.writes,  # what the target declares it writes (``SessionTarget.writes``)
        )
    }


def test_every_jde_table_and_orchestration_the_flow_modules_use_is_checked_by_ping():
    access = flow_access(defs, DEPLOYMENT.specs)
    checked = set(access.reads["JDE"]) | set(access.writes["JDE"])
    used: set[str] = set()
    for module in _integration_modules():
        names, _local = _jde_names_used_in(module)
        used |= names | _target_names(module)
    assert {"F0911", "F0411Z1", "F0414", "ML_CreateVoucherBatch", "ML_RecordPayment"} <= used  # scanned
    assert used <= checked, f"used by a flow but not checked by ping: {sorted(used - checked)}"


def test_ping_names_each_optional_table_the_user_cannot_read_and_the_setting_that_turns_it_off(
    env, monkeypatch
):
    """F0116 / F0115 / F01151 are optional. Refused while a flow reads it: ping fails naming
    the table and its setting; switched off: ping passes and still says the table is not readable."""
    _faults(env, refuse_tables=["F0116"])
    result = _ping_jde()
    assert result.exit_code == 1, result.output
    assert "F0116 not readable" in result.output and "ML_JDE_SUPPLIER_ADDRESSES=off" in result.output
    assert "F0115 readable" in result.output and "F01151 readable" in result.output

    monkeypatch.setenv("ML_JDE_SUPPLIER_ADDRESSES", "off")
    result = _ping_jde()
    assert result.exit_code == 0, result.output
    assert "F0116 NOT readable (ML_JDE_SUPPLIER_ADDRESSES=off" in result.output
    assert "F0115 readable (on)" in result.output
