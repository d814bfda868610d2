"""One conformance suite over every integration component Dagster's defs-folder loader finds: what each
package must declare so the platform can run, replay, check and show it, asked the same way of all six.

Why: each integration was built by other hands, and a flow that misses one of these (no replay handler,
no job, no declared reach for ``ping``) fails silently in production: its refused records can never be
replayed, it is never scheduled, or ``ping`` does not check what it writes. The behaviour each flow must
have (a rerun writes nothing, held records released, a refused record queued with its reason) is proven
per integration by its flow tests over the sandboxes; this suite holds every package to the contract.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from dagster import AssetKey, AssetsDefinition, Definitions
from roots import ROOT

from connector_assets import components
from connector_assets.definitions import DEPLOYMENT, defs
from connector_assets.deployment import Deployment, integration_components
from connector_assets.flows import instance
from connector_assets.flows.assembly import Flow, IntegrationParts
from connector_assets.flows.core import FlowSpec
from connector_assets.flows.manual_pairs import ManualPairing
from connector_assets.flows.replays import Replay, build_replays
from connector_assets.flows.targets import LedgerTarget, SessionTarget, TargetOpener
from connector_assets.jde.target_base import JdeTarget
from connector_resources import settings

REPOSITORY = defs.get_repository_def()
GRAPH = REPOSITORY.asset_graph
ASSET_JOB_PREFIX = "__ASSET_JOB"  # Dagster's implicit job: selecting a flow there schedules nothing


def _jobs_of(key: AssetKey) -> list[str]:
    return [
        job.name
        for job in REPOSITORY.get_all_jobs()
        if not job.name.startswith(ASSET_JOB_PREFIX) and key in job.asset_layer.selected_asset_keys
    ]


def _own_keys(component: IntegrationParts) -> set[AssetKey]:
    own = component.definitions().assets or []
    return {key for a in own if isinstance(a, AssetsDefinition) for key in a.keys}


def _flows(component: IntegrationParts) -> list[FlowSpec]:
    """Every flow the instance's package built for it: nothing of a package is made at import, so what
    its ``build`` returns is all there is."""
    return component.specs


@pytest.fixture(params=integration_components(), ids=lambda component: component.name)
def package(request) -> IntegrationParts:
    return request.param


def test_the_package_declares_its_name_definitions_and_replays(package):
    assert isinstance(package, IntegrationParts)
    assert isinstance(package.name, str) and package.package.endswith(f".integrations.{package.name}")
    assert isinstance(package.definitions(), Definitions)
    assert all(isinstance(flow.replay, Replay) for flow in package.flows)


def test_every_package_is_assembled_the_one_way(package):
    """``__init__`` is the package's docstring (its component type's description); ``wiring.build(it)``
    puts its flows together for an instance; the component type named after the package (``jde_bill`` ->
    ``JdeBill``) is made from the package, with one attribute per setting of its ``settings.toml`` beside
    every instance's ``name`` and ``connections``, and no other."""
    init = importlib.import_module(package.package)
    defined = {name for name, value in vars(init).items() if not isinstance(value, ModuleType)}
    assert defined == {name for name in defined if name.startswith("__")}
    wiring = importlib.import_module(f"{package.package}.wiring")
    built = inspect.signature(wiring.build)
    assert built.return_annotation in (IntegrationParts, "IntegrationParts") and len(built.parameters) == 1
    assert not hasattr(wiring, "parts"), "made at import"
    made = components.integration_types()["".join(w.capitalize() for w in package.name.split("_"))]
    assert made.integration == package.name and made.__doc__ == " ".join(init.__doc__.split())
    declared = settings.integration_settings()[package.name]
    prefix = f"ML_{package.name.upper()}_"
    own = {"name", "connections"}  # every instance's, beside its settings
    assert set(made.model_fields) == own | {s.env.removeprefix(prefix).lower() for s in declared}


def test_the_component_lists_each_flow_of_the_instance(package):
    """The component's ``flows`` names each flow (a ``Flow`` of the instance's spec and its assets, made by
    its module for the instance)."""
    assert all(isinstance(flow, Flow) for flow in package.flows)
    assert all(flow.spec.integration == package.name for flow in package.flows)


def test_the_component_names_the_mapping_tables_its_assets_stage(package):
    """Every mapping table asset the package defines is one of its ``mapping_tables`` (what the desk and
    ``ml-connector mappings`` list), and each of those is staged by one of its assets."""
    staged = {
        key
        for a in package.definitions().assets or []
        if isinstance(a, AssetsDefinition)
        for key in a.keys
        if "file_setting" in a.specs_by_key[key].metadata
    }
    assert staged == {table.asset for table in package.mapping_tables}


def test_the_settings_table_reads_its_settings_and_the_component_carries_its_pairings(package):
    """An integration's settings are its ``settings.toml``'s, each under ``ML_<NAME>_``, read by the one
    settings table; the component carries its pairings made by hand, the instance's."""
    declared = settings.integration_settings()[package.name]
    assert all(setting.env.startswith(f"ML_{package.name.upper()}_") for setting in declared)
    assert all(isinstance(pairing, ManualPairing) for pairing in package.pairings)
    assert all(pairing.integration == package.name for pairing in package.pairings)


def test_a_webhook_fed_flow_names_its_document_source(package):
    """A flow acknowledging inbox deliveries (``<flow>_inbox_done``) names the document source it applies
    them with (``Flow.inbox``): what a deployment running it applies (``Deployment.sources``)."""
    for flow in package.flows:
        acknowledges = any(flow.spec.key("inbox_done") in getattr(a, "keys", ()) for a in flow.assets)
        assert acknowledges == (flow.inbox is not None), flow.spec.flow


def test_every_flow_has_its_own_job_and_a_schedule_at_its_cron_setting(package):
    """Each flow's job is named after the flow, and its schedule (``<flow>_schedule``, or ``<flow>_poll``
    for a webhook flow's fallback poll) fires at ``ML_<FLOW>_CRON``."""
    schedules = {s.name: s for s in REPOSITORY.schedule_defs}
    for flow in package.flows:
        assert REPOSITORY.has_job(flow.spec.flow), f"{flow.spec.flow}: no job of its own"
        [schedule] = [
            schedules[n] for n in (f"{flow.spec.flow}_schedule", f"{flow.spec.flow}_poll") if n in schedules
        ]
        assert schedule.job_name == flow.spec.flow
        assert schedule.cron_schedule == instance.read(flow.cron_setting), flow.spec.flow


PACKAGES = ROOT / "connector_assets" / "integrations"
KIT = ROOT / "connector_assets" / "flows"


def _calls(path: Path) -> set[str]:
    """The names of every function the module calls (``f(...)`` and ``x.f(...)``)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    return {
        node.func.id if isinstance(node.func, ast.Name) else node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name | ast.Attribute)
    }


def test_no_package_builds_its_jobs_outside_the_kit():
    """A package's flow jobs come from ``flows.jobs.FlowJobs`` (one rule for what a job runs), its
    reconciliation's from ``flows.day_reconciliation``, never from ``define_asset_job`` in the package."""
    raw = [
        str(path.relative_to(PACKAGES))
        for path in sorted(PACKAGES.rglob("*.py"))
        if "define_asset_job" in _calls(path)
    ]
    assert raw == []


# The kit's step builders: only ``flows.assets.build_flow_assets`` uses them, so every flow's assets are
# built one way and differ only by its options.
STEP_BUILDERS = {
    ("connector_assets.flows.mapped_step", "mapped_asset"),
    ("connector_assets.flows.written_step", "written_asset"),
    ("connector_assets.flows.target_asset", "target_asset"),
    ("connector_assets.flows.assets", "target_asset"),
    ("connector_assets.flows.documents", "build_inbox_done"),
}
ASSETS = ROOT / "connector_assets"
# Flows whose steps need fewer systems' sessions than the two they join (``build_flow_assets``'s
# ``resource_keys``; each says why beside the call): Coupa's side of Coupa -> JDE is its staged poll and
# webhook inbox, JDE's side of JDE -> Procurify account codes its staged tables. (Coupa -> JDE payments need
# Coupa too: their write step reads a never-synced invoice from Coupa to pull it, ``flows.parent_pull``.)
FEWER_RESOURCES = {"coupa_jde_invoices", "jde_procurify_account_codes"}


def _imports(path: Path) -> set[tuple[str, str]]:
    """Every ``(module, name)`` the module imports with ``from module import name``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    return {
        (node.module or "", alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }


def test_every_flows_assets_come_from_the_one_builder():
    """No module but ``flows.assets`` builds a flow's steps itself: a package (or a system side) calls
    ``build_flow_assets``, naming its partitions, its upstream and at most its options."""
    builders = KIT / "assets.py"
    found = [
        str(path.relative_to(ROOT))
        for path in sorted(ASSETS.rglob("*.py"))
        if path != builders and _imports(path) & STEP_BUILDERS
    ]
    assert found == []


def test_a_flows_steps_are_of_its_two_systems_and_need_their_sessions(package):
    """What ``build_flow_assets`` gives every flow unless it says otherwise: its steps in the kinds of its
    two systems, needing both systems' resources (fewer only for the flows of ``FEWER_RESOURCES``)."""
    every_system = {
        s.lower() for spec in DEPLOYMENT.specs.values() for s in (spec.source_system, spec.target_system)
    }
    for spec in _flows(package):
        systems = {spec.source_system.lower(), spec.target_system.lower()}
        written = GRAPH.get(spec.key("written"))
        assert written.kinds == systems, spec.flow
        needed = written.assets_def.required_resource_keys & every_system
        assert (needed < systems) if spec.flow in FEWER_RESOURCES else (needed == systems), spec.flow


def test_nothing_is_found_by_scanning_a_modules_names():
    """What a package declares is named by import: no ``vars()``, ``globals()`` or ``dir()`` reading a
    module's names in the packages or the kit that assembles them."""
    scanning = {"vars", "globals", "dir"}
    found = [
        str(path.relative_to(ROOT))
        for path in sorted([*PACKAGES.rglob("*.py"), *KIT.rglob("*.py")])
        if _calls(path) & scanning
    ]
    assert found == []


def test_a_module_of_a_package_imports_without_reading_its_wiring():
    """A flow's mappers (or a test of one flow) import while another module of the package is missing or
    broken: the package's ``__init__`` imports nothing, only building the component reads ``wiring``."""
    names = sorted(folder.name for folder in PACKAGES.iterdir() if (folder / "wiring.py").exists())
    assert len(names) == len(integration_components())
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(f'connector_assets.integrations.{name}.integration')\n"
        "print(sorted(m for m in sys.modules\n"
        "             if m.startswith('connector_assets.integrations.') and m.endswith('.wiring')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_package_has_flows_whose_steps_it_defines_in_its_own_group(package):
    flows, own = _flows(package), _own_keys(package)
    assert flows, f"{package.name} declares no flow"
    for spec in flows:
        mapped = spec.key("mapped")
        assert mapped in own, f"{spec.flow}: no mapped step in {package.package}"
        assert GRAPH.get(mapped).group_name == package.name, spec.flow


def test_every_flow_is_in_a_named_job_so_schedules_and_backfills_run_it(package):
    for spec in _flows(package):
        assert _jobs_of(spec.key("mapped")), f"{spec.flow}: in no job of the definitions"


def test_every_flow_can_replay_its_refused_records(package):
    replays = Deployment((package,)).replays()
    for spec in _flows(package):
        assert replays.handler_for(spec.integration, spec.name) is not None, f"{spec.flow}: no replay handler"


def test_every_flow_states_its_own_replay(package):
    """A flow's replay is its own ``Flow.replay`` (one form, data): no package-wide function building
    several flows' at once; each flow's replay alone builds its handler, anew each time it is built."""
    wiring = importlib.import_module(f"{package.package}.wiring")
    assert not hasattr(wiring, "register_replay_handlers")
    for flow in package.flows:
        assert isinstance(flow.replay, Replay), f"{flow.spec.flow}: states no replay of its own"
        before = build_replays([flow]).handler_for(flow.spec.integration, flow.name)
        after = build_replays([flow]).handler_for(flow.spec.integration, flow.name)
        assert after is not None and after is not before, f"{flow.spec.flow}: its replay builds no handler"


# Flows that write to no system: they record a pair in the ledger only (the reference documents no
# supplier create in Fusion, so a Procurify vendor is paired with the Fusion supplier of its name).
LEDGER_ONLY = {"fusion_procurify_vendors"}


def test_every_flow_declares_what_it_reaches_for_ping(package):
    for spec in _flows(package):
        systems = {spec.source_system, spec.target_system}
        assert spec.reads or spec.writes, f"{spec.flow}: declares nothing ping could check"
        assert bool(spec.writes) != (spec.flow in LEDGER_ONLY), f"{spec.flow}: writes {dict(spec.writes)}"
        assert set(spec.reads) | set(spec.writes) <= systems, (spec.flow, spec.reads, spec.writes)


def test_every_flow_has_the_target_side_asset_its_written_check_reads(package):
    for spec in _flows(package):
        observed = spec.key(f"in_{spec.target_system.lower()}")
        assert GRAPH.has(observed), f"{spec.flow}: no {observed.to_user_string()} asset"
        assert not GRAPH.get(observed).is_executable  # observed in the target, never written by us


# Flows whose target is opened by a function of their own, not declared by a ``SessionTarget`` class: each
# holds the ledger's vendor pairs (or, in Procore, one session per company) and is opened its own way.
# Every other flow, and every flow that writes to JDE, declares its target the one way.
OWN_OPENERS = {
    "fusion_procurify_suppliers",  # ``procurify.vendor_target``, with the ledger's pairs
    "fusion_procurify_vendors",  # ledger only (``LEDGER_ONLY``)
    "jde_procurify_suppliers",  # ``procurify.vendor_target``, with the ledger's pairs
    "procore_jde_suppliers",  # ``procore.vendor_target``, on Procore's company sessions
}


def test_every_flow_declares_its_target_by_its_class_on_the_one_base(package):
    """``FlowRoute.flow`` is given the target's class, a ``SessionTarget`` (a JDE target a ``JdeTarget``,
    which stands on it): the class is opened for the run and the flow the one way, and what it writes in
    its system is the class's own ``writes`` (what ``ping`` checks there), however the flow names others."""
    for spec in _flows(package):
        opener = spec.open_target
        if spec.flow in OWN_OPENERS:
            assert not isinstance(opener, TargetOpener), f"{spec.flow}: declared by its class now"
            assert spec.target_system != "JDE"
            continue
        assert isinstance(opener, TargetOpener), f"{spec.flow}: its target is not declared by its class"
        target = opener.target
        assert issubclass(target, SessionTarget) and opener.spec is spec, spec.flow
        assert issubclass(target, JdeTarget) == (spec.target_system == "JDE"), spec.flow
        assert target.writes and spec.writes[spec.target_system] == target.writes, spec.flow


def test_every_flow_replays_through_the_target_its_runs_write_through(package):
    """A flow's ``Replay`` opens the class its runs open (its ``for_replay``), so a replay is never written
    another way than a run; a flow with its own opener has its own for the replay too."""
    for flow in package.flows:
        opener, target = flow.spec.open_target, flow.replay.target
        if flow.spec.flow in OWN_OPENERS:
            assert callable(target), flow.spec.flow
            continue
        assert getattr(target, "__self__", None) is opener.target, f"{flow.spec.flow}: through {target}"
        assert target.__name__ == "for_replay", flow.spec.flow


def test_a_jde_target_is_opened_for_a_run_and_a_replay_as_any_target_is():
    """Every JDE target is a ``LedgerTarget`` (a ``SessionTarget``) on ``jde``: held on its session, opened
    by the base's ``opened`` (its own ``open_on`` says which sessions), with the flow and the ledger it
    judges with."""
    from connector_assets.jde import targets

    for target in (targets.VoucherBatches, targets.VoucherPayments, targets.Suppliers):
        assert issubclass(target, SessionTarget) and target.resource == "jde"
        assert target.for_run.__func__ is LedgerTarget.for_run.__func__
        assert target.for_replay.__func__ is LedgerTarget.for_replay.__func__

    class _Resource:
        def __init__(self):
            self.sessions = []

        def session(self):
            from contextlib import nullcontext

            self.sessions.append(object())
            return nullcontext(self.sessions[-1])

    jde, spec = _Resource(), next(iter(DEPLOYMENT.specs.values()))
    with targets.VoucherPayments.for_replay({"jde": jde}, "the ledger", spec) as target:
        assert (target.session, target.ledger, target.spec) == (jde.sessions[0], "the ledger", spec)
        assert (target.run_id, target.partition) == (None, None)
