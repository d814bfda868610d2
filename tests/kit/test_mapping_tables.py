"""Mapping tables: one spec and one builder for every table; flows map with the staged snapshot only,
staged afresh when the ledger's table was saved since."""

import dataclasses
import json
from datetime import date, timedelta
from pathlib import Path

import fusion_procurify_parts as fusion_procurify
import jde_coupa_parts as jde_coupa
import jde_coupa_parts as jde_coupa_pos
import jde_procurify_parts as jde_procurify
import procore_jde_parts as procore_jde
import pytest
from asset_runs import materialized
from built_parts import built as built_parts
from dagster import AssetKey, Failure
from jde_coupa_world import jde_coupa_world

from connector_assets.flows.mapping_changes import MappingRefused, plan_change
from connector_assets.flows.mapping_master import MasterData
from connector_assets.flows.mapping_tables import SNAPSHOT_METADATA, MappingTable, fingerprint, tables_from
from connector_assets.jde.assets import jde_assets
from connector_assets.runtime.staging import StagingResource
from connector_resources import settings
from connector_resources.error_kinds import TransientError
from connector_resources.ledger import Ledger, shared_ledger
from connector_resources.ledger.operator_actions import Operator

CLERK = Operator("ann", "operator")
COUPA_JDE = built_parts("coupa_jde")
COUPA_JDE_ACCOUNTS = COUPA_JDE.mapping_table("account_map")


@pytest.fixture(autouse=True)
def own_ledger(tmp_path, monkeypatch):
    """Each test's tables in a ledger of its own: the ledger holds a table from its first import on."""
    monkeypatch.setenv("ML_CONNECTOR_DB_URL", f"sqlite:///{tmp_path / 'tables.sqlite'}")


JDE_BILL = built_parts("jde_bill")
DAY = (date.today() - timedelta(days=21)).isoformat()  # the JDE sandbox's busy mass-update day
TABLES = {  # spec -> the asset built from it
    jde_coupa.PAYMENT_TERMS: jde_coupa.jde_coupa_payment_terms_map,
    jde_coupa_pos.ACCOUNTS: jde_coupa_pos.jde_coupa_account_map,
    **dict(zip(COUPA_JDE.mapping_tables, COUPA_JDE.tables, strict=True)),
    **dict(zip(JDE_BILL.mapping_tables, JDE_BILL.flow("bills").assets, strict=False)),  # its tables first
    **dict(zip(procore_jde.TABLES, procore_jde.procore_jde_mapping_tables, strict=True)),
    **dict(zip(jde_procurify.PARTS.mapping_tables, jde_procurify.mapping_tables, strict=True)),
    fusion_procurify.ACCOUNTS: fusion_procurify.account_map_asset,
    fusion_procurify.DEPARTMENTS: fusion_procurify.department_map_asset,
}
GROUPS = {
    COUPA_JDE_ACCOUNTS.asset: "coupa_jde",
    **{table.asset: "jde_bill" for table in JDE_BILL.mapping_tables},
    **{table.asset: "procore_jde" for table in procore_jde.TABLES},
    **{table.asset: "jde_procurify" for table in jde_procurify.PARTS.mapping_tables},
    **{table.asset: "fusion_procurify" for table in fusion_procurify.PARTS.mapping_tables},
}


def test_every_mapping_table_is_a_spec_built_by_the_one_builder(tmp_path, monkeypatch):
    from connector_assets.definitions import defs

    monkeypatch.delenv("ML_COUPA_JDE_ACCOUNT_MAP", raising=False)
    graph = defs.resolve_asset_graph()
    csv_assets = {key.to_user_string() for key in graph.get_all_asset_keys() if "csv" in graph.get(key).kinds}
    assert csv_assets == {spec.asset.to_user_string() for spec in TABLES}  # no table is read any other way
    staging = StagingResource(base_dir=str(tmp_path))
    for spec, built in TABLES.items():
        assert isinstance(spec, MappingTable) and built.key == spec.asset
        assert graph.get(built.key).group_name == GROUPS.get(spec.asset, "jde_coupa")
        assert built.descriptions_by_key[built.key] == spec.description
        meta = materialized([built], {"staging": staging})[spec.asset.to_user_string()]
        assert set(SNAPSHOT_METADATA) <= set(meta)
        snapshot = spec.snapshot(staging)
        assert meta["rows"].value == len(snapshot) and meta["fingerprint"].value == snapshot.fingerprint
        assert snapshot.fingerprint == fingerprint(spec.read())  # the staged pairs are the file's


def test_a_table_declared_from_its_setting_is_in_the_group_of_the_integration_declaring_it():
    """The variable says whose table it is (``settings.integration_of``); naming the group is optional."""
    assert settings.integration_of("ML_JDE_COUPA_ACCOUNT_MAP") == "jde_coupa"
    assert settings.integration_of("ML_CONNECTOR_DB_URL") is None
    fields = {"key": "k", "value": "v", "description": "", "guarded_by": ()}
    table = MappingTable.from_setting("ML_JDE_COUPA_ACCOUNT_MAP", **fields)
    assert table.asset == AssetKey(["jde_coupa", "account_map"]) == jde_coupa_pos.ACCOUNTS.asset
    with pytest.raises(ValueError, match="not a setting of jde_bill"):
        MappingTable.from_setting("ML_JDE_COUPA_ACCOUNT_MAP", group="jde_bill", **fields)


def test_the_jobs_stage_the_tables_their_flows_map_with():
    from connector_assets.definitions import defs

    wanted = {
        "jde_coupa_sync": {"jde_coupa/payment_terms_map", "jde_coupa/account_map"},
        "jde_coupa_suppliers": {"jde_coupa/payment_terms_map"},
        "jde_coupa_purchase_orders": {"jde_coupa/account_map"},
        "jde_coupa_invoices": {"jde_coupa/account_map"},
        "coupa_jde_invoices": {"coupa_jde/account_map"},
        "jde_bill_bills": {table.asset.to_user_string() for table in JDE_BILL.mapping_tables},
        "procore_jde_purchase_orders": {table.asset.to_user_string() for table in procore_jde.TABLES},
        "procore_jde_vouchers": {table.asset.to_user_string() for table in procore_jde.TABLES},
        "procore_jde_change_orders": {table.asset.to_user_string() for table in procore_jde.TABLES},
        # JDE -> Procurify orders send the mapped account code and the department's location; Procurify
        # bills post to the mapped JDE account.
        "jde_procurify_purchase_orders": {"jde_procurify/account_map", "jde_procurify/department_map"},
        "jde_procurify_bills": {"jde_procurify/account_map"},
    }
    for job, tables in wanted.items():
        keys = {k.to_user_string() for k in defs.resolve_job_def(job).asset_layer.executable_asset_keys}
        assert tables <= keys, (job, keys)


def test_a_mapping_with_no_snapshot_fails_naming_the_asset_to_materialize(tmp_path, monkeypatch):
    staging = StagingResource(base_dir=str(tmp_path))
    with pytest.raises(Failure, match="materialize jde_coupa/payment_terms_map"):
        jde_coupa.PAYMENT_TERMS.snapshot(staging)
    # The optional Coupa -> JDE table: unset and never saved it is empty, staged or not; once someone saved
    # a row, a run maps with what was staged, so an unstaged table is a Failure again.
    monkeypatch.delenv("ML_COUPA_JDE_ACCOUNT_MAP", raising=False)
    assert COUPA_JDE_ACCOUNTS.snapshot(staging) == {}
    shared_ledger().change_mapping(
        COUPA_JDE_ACCOUNTS.name, {"20-8150": "20.8150"}, by=CLERK, note="x", origin="test"
    )
    with pytest.raises(Failure, match="materialize coupa_jde/account_map"):
        COUPA_JDE_ACCOUNTS.snapshot(staging)
    COUPA_JDE_ACCOUNTS.stage(staging)
    assert COUPA_JDE_ACCOUNTS.snapshot(staging) == {"20-8150": "20.8150"}


def test_the_coupa_jde_table_has_no_sandbox_file_so_the_guard_has_nothing_to_refuse(tmp_path, monkeypatch):
    """The sandbox guard refuses a sandbox file once JDE or Coupa is real; the Coupa -> JDE table has none
    (unset it is empty and Coupa's segments are read as BU.OBJ.SUB), so a real Coupa stages it empty."""
    assert COUPA_JDE_ACCOUNTS.sandbox_file is None
    monkeypatch.delenv("ML_COUPA_JDE_ACCOUNT_MAP", raising=False)
    monkeypatch.setenv("ML_COUPA_URL", "https://acme.coupahost.com")
    with pytest.raises(ValueError, match="ML_JDE_COUPA_ACCOUNT_MAP is not set, and Coupa Core API"):
        jde_coupa_pos.ACCOUNTS.read()
    staging = StagingResource(base_dir=str(tmp_path))
    meta = materialized(COUPA_JDE.tables, {"staging": staging})["coupa_jde/account_map"]
    assert meta["rows"].value == 0 and "unset" in meta["imported_from"].value


def test_the_one_reader_checks_values_in_a_finance_users_words(tmp_path):
    table = tmp_path / "accounts.csv"
    table.write_text("\ufeffcoupa_account,jde_account\n20-8150,20.8150\n20-8199,208199\n", encoding="utf-8")
    with pytest.raises(
        ValueError, match="accounts.csv line 3: .*the JDE account must read BU.OBJ or BU.OBJ.SUB"
    ):
        COUPA_JDE_ACCOUNTS.read(table)
    table.write_text("coupa_account,jde_account\n20-8150,20.8150.abc\n", encoding="utf-8")
    assert COUPA_JDE_ACCOUNTS.read(table) == {"20-8150": "20.8150.ABC"}
    table.write_text("jde_account,coupa\n1.6810,A\n", encoding="utf-8")
    with pytest.raises(ValueError, match="missing column"):
        jde_coupa_pos.ACCOUNTS.read(table)


def _terms_staged_from_a_file(tmp_path, monkeypatch) -> tuple[StagingResource, Path]:
    """JDE -> Coupa's payment terms configured as a file (N30 -> Net 30) and staged: the staging, the file."""
    staging = StagingResource(base_dir=str(tmp_path / "staging"))
    table = tmp_path / "terms.csv"
    table.write_text("jde_payment_terms,coupa_payment_term\nN30,Net 30\n", encoding="utf-8")
    monkeypatch.setenv("ML_JDE_COUPA_PAYMENT_TERMS_MAP", str(table))
    jde_coupa.PAYMENT_TERMS.stage(staging)
    return staging, table


def test_the_file_is_imported_once_and_runs_and_replays_map_with_todays_ledger_table(tmp_path, monkeypatch):
    """The configured file is imported on first use; after that the ledger's table is the truth: a saved
    change reaches the next run and replay, a later edit of the file does not (it is named as differing)."""
    staging, table = _terms_staged_from_a_file(tmp_path, monkeypatch)
    terms = jde_coupa.PAYMENT_TERMS
    ledger = shared_ledger()
    assert ledger.mapping_info(terms.name).origin == str(table) and terms.file_differs() is None
    table.write_text("jde_payment_terms,coupa_payment_term\nN30,Net 30 days\n", encoding="utf-8")
    assert terms.current() == {"N30": "Net 30"}  # the file is not read again
    assert "ml-connector mappings import" in terms.file_differs()
    ledger.change_mapping(terms.name, {"N30": "Net 30 days"}, by=CLERK, note="terms renamed", origin="test")
    assert terms.snapshot(staging) == {"N30": "Net 30 days"}  # a run: the saved table, staged afresh
    assert terms.snapshot(staging).version == 2
    assert terms.restage(staging) == {"N30": "Net 30 days"}  # a replay: today's table
    (change,) = ledger.mapping_history(terms.name, key="N30", limit=1)
    said = (change.actor, change.old_value, change.new_value, change.version)
    assert said == ("ann", "Net 30", "Net 30 days", 2)


def test_a_run_maps_with_the_staged_snapshot_not_the_file_and_names_it(tmp_path, monkeypatch):
    """The table is staged, then its file changes: the mapping still uses what was staged, and the mapped
    asset's materialization carries the staged snapshot's fingerprint."""
    table = tmp_path / "terms.csv"
    sandbox = jde_coupa.PAYMENT_TERMS.read()
    table.write_text(
        "jde_payment_terms,coupa_payment_term\n" + "".join(f"{k},{v}\n" for k, v in sandbox.items()),
        encoding="utf-8",
    )
    monkeypatch.setenv("ML_JDE_COUPA_PAYMENT_TERMS_MAP", str(table))
    with jde_coupa_world(tmp_path) as world:
        every = [*jde_assets, *jde_coupa.jde_coupa_assets]
        staged = materialized([jde_coupa.jde_coupa_payment_terms_map], world.resources)
        print_ = staged["jde_coupa/payment_terms_map"]["fingerprint"].value
        # Finance edits the file; nothing stages it again before the run maps.
        table.write_text(
            "jde_payment_terms,coupa_payment_term\n"
            + "".join(f"{k},CHANGED-{v}\n" for k, v in sandbox.items()),
            encoding="utf-8",
        )
        names = ("jde/suppliers", "jde/address_book", "jde_coupa/suppliers_mapped")
        meta = materialized(
            [a for a in every if a.key.to_user_string() in names], world.resources, partition_key=DAY
        )
        mapped = meta["jde_coupa/suppliers_mapped"]
        assert mapped["jde_coupa/payment_terms_map snapshot"].value == print_
        codes = {
            json.loads(row["payload"])["body"].get("payment-term", {}).get("code")
            for row in world.resources["staging"].read_rows(AssetKey(["jde_coupa", "suppliers_mapped"]), DAY)
        } - {None}
        assert codes and codes <= set(sandbox.values())  # the staged table, not the edited file


def test_a_preview_reads_and_imports_tables_in_its_scratch_ledger_only(tmp_path):
    """``tables_from`` (the preview's): the first use imports into the scratch copy, the deployment's ledger
    is left as it was."""
    scratch = Ledger(f"sqlite:///{tmp_path / 'scratch.sqlite'}")
    with tables_from(scratch):
        rows = jde_coupa.PAYMENT_TERMS.current()
    assert rows and scratch.mapping_rows(jde_coupa.PAYMENT_TERMS.name) == rows
    assert shared_ledger().mapping_info(jde_coupa.PAYMENT_TERMS.name) is None
    scratch.dispose()


def test_a_save_the_master_data_cannot_be_asked_about_is_refused_and_nothing_saved():
    """A system that is down or refuses the login refuses the save with its error: a row nobody could check
    is not saved as if it were fine."""

    def down(resources, rows):
        raise TransientError("Coupa answered HTTP 503 after 5 attempts")

    master = MasterData(("coupa",), down, "the term exists")
    terms = dataclasses.replace(jde_coupa.PAYMENT_TERMS, master=master)
    before = terms.current()
    with pytest.raises(MappingRefused, match=r"could not check against coupa \(Coupa answered HTTP 503"):
        plan_change(terms, {"N99": "Net 99"}, resources={})
    assert terms.current() == before and shared_ledger().mapping_info(terms.name).version == 1


def test_a_mapping_step_reads_each_staged_table_once_for_every_day_it_maps(tmp_path, monkeypatch):
    """A backfill is one run for its range: inside the step (``read_once_per_step``) the staged snapshot is
    read once and handed to every day, each read still recorded for the day's metadata; a table staged
    afresh inside the block is read again; outside a step every call reads the staging."""
    from connector_assets.flows.mapping_tables import read_once_per_step, recording_snapshots

    staging, _ = _terms_staged_from_a_file(tmp_path, monkeypatch)
    terms = jde_coupa.PAYMENT_TERMS
    reads: list[AssetKey] = []
    read_rows = StagingResource.read_rows

    def counted(self, asset, partition):
        reads.append(asset)
        return read_rows(self, asset, partition)

    monkeypatch.setattr(StagingResource, "read_rows", counted)
    with read_once_per_step():
        days = []
        for _ in range(3):
            with recording_snapshots() as used:
                days.append((terms.snapshot(staging), dict(used)))
        assert len(reads) == 1
        assert [snapshot for snapshot, _ in days] == [{"N30": "Net 30"}] * 3
        assert all(used == {"jde_coupa/payment_terms_map": {days[0][0].fingerprint}} for _, used in days)
        shared_ledger().change_mapping(terms.name, {"N30": "Net 45"}, by=CLERK, note="terms", origin="test")
        terms.stage(staging)
        assert terms.snapshot(staging) == {"N30": "Net 45"} and len(reads) == 2
    terms.snapshot(staging)
    terms.snapshot(staging)
    assert len(reads) == 4
