"""JDE suppliers -> Coupa suppliers end to end: both simulators, the real clients, Dagster, the ledger.

Checks the rules every flow follows: create once, skip when unchanged, adopt (never duplicate) a supplier
that a crashed earlier attempt created, queue a failed record with its reason and replay it exactly once,
and refuse invalid records with the record and field named.
"""

from datetime import date, timedelta

import pytest
import requests
import sqlalchemy as sa
from asset_runs import metadata_by_asset, step_failures
from dagster import AssetKey, materialize
from instances import instance_for_test
from jde_coupa_parts import SUPPLIERS_FLOW, jde_coupa_assets
from jde_coupa_world import jde_coupa_world, replay_into_coupa
from mapping_rows import own_ledger, save_rows
from s3_server import moto_server

from connector_assets.flows.core import Mapped, validate
from connector_assets.flows.target_boundary import UNWRAPPED
from connector_assets.jde.assets import jde_assets
from connector_assets.runtime.staging import StagingResource
from connector_resources.ledger import Ledger, LedgerResource
from connector_resources.replay import replay_items

DAY = (date.today() - timedelta(days=21)).isoformat()  # the JDE sandbox's mass-update day: busy


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    with moto_server(tmp_path_factory.mktemp("moto")) as server:
        yield server


@pytest.fixture
def world(tmp_path, request):
    """Both simulators and the resources; staging on local disk, or (``world`` parametrized with "s3") in a
    fresh bucket of a moto S3 server."""
    staging_base = None
    if getattr(request, "param", "local") == "s3":
        staging_base = f"s3://{request.getfixturevalue('s3').new_bucket()}/staging"
    with jde_coupa_world(tmp_path, staging_base=staging_base) as world:
        yield world.resources, world.coupa_url, world.ledger


def _assets(*names):
    every = [*jde_assets, *jde_coupa_assets]
    return [a for a in every if a.key.to_user_string() in names]


CHAIN = (
    "jde_coupa/payment_terms_map",  # staged in the run, as the suppliers job does: the mapping reads it
    "jde/suppliers",
    "jde/address_book",
    "jde_coupa/suppliers_mapped",
    "jde_coupa/suppliers_written",
)


def _run(resources, *names):
    with instance_for_test() as instance:
        result = materialize(
            _assets(*names), resources=resources, instance=instance, partition_key=DAY, raise_on_error=False
        )
    return result, metadata_by_asset(result)


def _coupa_suppliers_numbered(resources, number: str) -> list[dict]:
    with resources["coupa"].session() as session:
        return session.search("suppliers", {"number": number}, limit=10)


@pytest.mark.parametrize("world", ["local", "s3"], indirect=True)
def test_suppliers_are_created_once_then_skipped(world, tmp_path):
    """On local disk and on S3: the source steps stage there (and the mapping tables' snapshots), the
    mapping and writing steps read it back, and the rerun reads the same staged day."""
    resources, _coupa, ledger = world
    result, metadata = _run(resources, *CHAIN)
    assert result.success
    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert checks == {"writable": True, "no_failed_records": True}
    # Each check result belongs to the day, so the UI shows every day's own result.
    assert {c.partition for c in result.get_asset_check_evaluations()} == {DAY}
    written = metadata["jde_coupa/suppliers_written"]
    created = written["create"].value + written["adopt"].value
    staged = list(resources["staging"].read_rows(AssetKey(["jde", "suppliers"]), DAY))
    assert created == len(staged) > 0 and written["fail"].value == 0
    for row in staged[:5]:
        [xref] = [x for x in ledger.xrefs_for(str(row["AN8"])) if x.integration == "jde_coupa"]
        [supplier] = _coupa_suppliers_numbered(resources, str(row["AN8"]))
        assert str(supplier["id"]) == xref.target_id and supplier["status"] == "active"
        assert [e.action for e in ledger.history(str(row["AN8"]))] in (["create"], ["adopt"])

    again, metadata = _run(resources, "jde_coupa/suppliers_mapped", "jde_coupa/suppliers_written")
    assert again.success
    second = metadata["jde_coupa/suppliers_written"]
    assert second["skip"].value == len(staged) and second["create"].value == 0
    root = resources["staging"].root()
    assert (root / "jde/suppliers" / f"{DAY}.parquet").is_file()
    assert (root / "jde_coupa/suppliers_mapped" / f"{DAY}.parquet").is_file()
    if str(root).startswith("s3://"):
        assert not (tmp_path / "staging").exists()  # nothing went to local disk


def test_a_supplier_created_by_a_crashed_attempt_is_adopted_not_duplicated(world):
    resources, _coupa, ledger = world
    assert _run(resources, *CHAIN)[0].success
    an8 = str(next(resources["staging"].read_rows(AssetKey(["jde", "suppliers"]), DAY))["AN8"])
    # A crash between Coupa's create and our ledger write: Coupa has the supplier, the ledger has no target.
    with ledger.engine.begin() as conn:
        conn.execute(
            sa.text(
                "update mlc_xref set target_id = null, content_hash = null, state = 'pending' "
                "where source_key = :k and integration = 'jde_coupa'"
            ),
            {"k": an8},
        )
    result, metadata = _run(resources, "jde_coupa/suppliers_mapped", "jde_coupa/suppliers_written")
    assert result.success and metadata["jde_coupa/suppliers_written"]["adopt"].value == 1
    assert len(_coupa_suppliers_numbered(resources, an8)) == 1
    assert ledger.history(an8)[-1].action == "adopt"


def test_a_failed_write_is_queued_and_replayed_exactly_once(world):
    resources, coupa, ledger = world
    assert _run(resources, "jde/suppliers", "jde/address_book", "jde_coupa/suppliers_mapped")[0].success
    # Coupa refuses every call for a while (fail-next with 400: not retried, so each record fails once);
    # the OAuth token is already cached, so the failures fall on the writes themselves.
    with resources["coupa"].session(flow="suppliers") as session:  # the token the flow's session uses
        session.search("suppliers", {"number": "0"}, limit=1)
    requests.post(f"{coupa}/sandbox/faults", json={"fail_next": 10_000, "fail_next_status": 400}, timeout=10)
    result, metadata = _run(resources, "jde_coupa/suppliers_written")
    assert result.success and metadata["jde_coupa/suppliers_written"]["fail"].value > 0
    queued = ledger.open_items(integration="jde_coupa", status="failed")
    assert queued and all("supplier" in item.reason for item in queued)
    requests.post(f"{coupa}/sandbox/faults/reset", timeout=10)
    requests.post(f"{coupa}/sandbox/faults", json={"rate_limit_enabled": False}, timeout=10)

    from connector_assets.coupa.targets import CoupaSuppliers

    replays = replay_into_coupa(SUPPLIERS_FLOW, CoupaSuppliers, resources)
    summary = replay_items(ledger, queued, replays)
    assert len(summary.replayed) == len(queued) and not summary.failed
    assert ledger.open_items(integration="jde_coupa", status="failed") == []
    for item in queued[:5]:
        assert len(_coupa_suppliers_numbered(resources, item.source_key)) == 1
    again = replay_items(ledger, queued, replays)  # a record that already succeeded is skipped, not rewritten
    assert len(again.already) == len(queued) and not again.replayed
    for item in queued:
        writes = [
            e.action for e in ledger.history(item.source_key) if e.action in ("create", "adopt", "update")
        ]
        assert writes in (["create"], ["adopt"]), (item.source_key, writes)
        assert len(_coupa_suppliers_numbered(resources, item.source_key)) == 1


def test_invalid_records_name_the_record_and_field():
    records = [
        Mapped("4343", {}, {"supplier_number": "4343", "name": "", "tax_id": None}),
        Mapped("4344", {}, {"supplier_number": "4344", "name": "Müller Baustoffe GmbH", "tax_id": "DE123"}),
        Mapped("x9", {}, {"supplier_number": "x9", "name": "Acme", "tax_id": None}),
    ]
    checked = validate(SUPPLIERS_FLOW, records)
    assert [r.source_key for r in checked.valid] == ["4344"]
    reasons = {r.source_key: r.reason for r in checked.rejected}
    assert reasons["4343"].startswith("supplier 4343: field name")
    assert "field supplier_number" in reasons["x9"]


def test_a_systemic_share_of_refusals_writes_the_rest_queues_the_refused_and_fails_the_day(tmp_path):
    from collections import Counter
    from contextlib import contextmanager

    from connector_assets.flows.assets import build_flow_assets
    from connector_assets.flows.core import FlowSpec

    class Recording:
        """An in-memory Coupa: what was created, by source key."""

        creates: Counter[str] = Counter()

        def find(self, record):
            return None

        def create(self, record):
            self.creates[record.source_key] += 1
            return f"C-{record.source_key}"

        def update(self, target_id, record):
            raise AssertionError("nothing here is updated")

    @contextmanager
    def target(_context):
        yield Recording()

    def broken_mapping(_context, _partition):  # e.g. the name column went missing upstream
        for n in range(12):
            yield Mapped(str(n), {"number": str(n)}, {"supplier_number": str(n), "name": "", "tax_id": None})
        yield Mapped("99", {"number": "99"}, {"supplier_number": "99", "name": "Fine Ltd", "tax_id": None})

    spec = FlowSpec(
        "itest", "suppliers", "supplier", "JDE", "coupa", SUPPLIERS_FLOW.schema, broken_mapping, target
    )
    assets = build_flow_assets(spec, partitions_def=None, upstream=[], resource_keys=set(), kinds={"test"})
    db = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    resources = {
        "staging": StagingResource(base_dir=str(tmp_path)),
        "ledger": LedgerResource(db_url=db),
        "target_boundary": UNWRAPPED,
    }
    with instance_for_test() as instance:
        result = materialize(assets, instance=instance, raise_on_error=False, resources=resources)
    assert not result.success  # 12 of 13 refused: systemic, the day marked failed by its verdict ...
    assert [c.passed for c in result.get_asset_check_evaluations()] == [False, False]  # mapped, written
    materialized = [e.asset_key.to_user_string() for e in result.get_asset_materialization_events()]
    assert materialized == ["itest/suppliers_mapped", "itest/suppliers_written"], materialized
    assert [e.step_key for e in result.get_step_failure_events()] == ["itest__suppliers_verdict"]
    # ... after writing the one that passed and queueing the 12 with the record and the field named.
    assert Recording.creates == Counter({"99": 1})
    queued = {i.source_key: i.reason for i in Ledger(db).open_items(integration="itest")}
    assert set(queued) == {str(n) for n in range(12)}, queued
    assert all(r.startswith(f"supplier {k}: field name") for k, r in queued.items()), queued

    # What a re-execution "from failure" does: it runs the verdict alone, from the retry queue: the day
    # stays failed while the 12 are still refused. A rerun of the writer writes the one not twice.
    verdict = [a for a in assets if a.key.to_user_string().endswith(("_written", "_verdict"))]
    with instance_for_test() as instance:
        rerun = materialize(verdict, instance=instance, raise_on_error=False, resources=resources)
    assert not rerun.success and "looks systemic" in step_failures(rerun)
    assert Recording.creates == Counter({"99": 1})


def test_a_partition_failed_by_an_outage_is_rerun_and_writes_each_supplier_once(world):
    resources, coupa, ledger = world
    from connector_resources.coupa.auth import forget_tokens  # a fresh token request meets the outage

    forget_tokens()
    requests.post(f"{coupa}/sandbox/faults", json={"fail_next": 50, "fail_next_status": 503}, timeout=10)
    failed, _ = _run(resources, *CHAIN)
    assert not failed.success  # Coupa unreachable: the write step fails, the partition shows as failed
    requests.post(f"{coupa}/sandbox/faults/reset", timeout=10)
    requests.post(f"{coupa}/sandbox/faults", json={"rate_limit_enabled": False}, timeout=10)
    rerun, _ = _run(resources, "jde_coupa/suppliers_mapped", "jde_coupa/suppliers_written")
    assert rerun.success
    staged = {str(row["AN8"]) for row in resources["staging"].read_rows(AssetKey(["jde", "suppliers"]), DAY)}
    for number in list(staged)[:10]:
        assert len(_coupa_suppliers_numbered(resources, number)) == 1


def test_a_rerun_of_the_partition_resolves_the_records_it_writes(world):
    resources, coupa, ledger = world
    assert _run(resources, "jde/suppliers", "jde/address_book", "jde_coupa/suppliers_mapped")[0].success
    with resources["coupa"].session(flow="suppliers") as session:
        session.search("suppliers", {"number": "0"}, limit=1)
    # A 409 is not a refusal for good (a 400 is: such records wait for a replay, see
    # tests/kit/test_refused_for_good.py), so the rerun sends them again.
    requests.post(f"{coupa}/sandbox/faults", json={"fail_next": 10_000, "fail_next_status": 409}, timeout=10)
    assert _run(resources, "jde_coupa/suppliers_written")[0].success
    queued = ledger.open_items(integration="jde_coupa", status="failed")
    assert queued
    requests.post(f"{coupa}/sandbox/faults/reset", timeout=10)
    requests.post(f"{coupa}/sandbox/faults", json={"rate_limit_enabled": False}, timeout=10)
    result, metadata = _run(resources, "jde_coupa/suppliers_written")  # the operator reruns the partition
    assert result.success and metadata["jde_coupa/suppliers_written"]["create"].value == len(queued)
    assert ledger.open_items(integration="jde_coupa", status="failed") == []


def test_a_date_range_runs_as_one_run_day_by_day(world):
    resources, _coupa, ledger = world
    first = (date.fromisoformat(DAY) - timedelta(days=2)).isoformat()
    tags = {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": DAY}
    with instance_for_test() as instance:
        result = materialize(_assets(*CHAIN), resources=resources, instance=instance, tags=tags)
    assert result.success
    written = {
        e.partition: e.materialization.metadata
        for e in result.get_asset_materialization_events()
        if e.asset_key.to_user_string() == "jde_coupa/suppliers_written"
    }
    days = [(date.fromisoformat(first) + timedelta(days=n)).isoformat() for n in range(3)]
    assert sorted(written) == days  # one materialization per day, each with that day's own figures
    staged = set()
    for day in days:
        rows = resources["staging"].read_rows(AssetKey(["jde", "suppliers"]), day)
        of_day = {row["AN8"] for row in rows}
        assert written[day]["create"].value + written[day]["adopt"].value == len(of_day), day
        staged |= of_day
    assert staged
    assert all(ledger.get_xref("jde_coupa", "supplier", "JDE", str(an8), "coupa").target_id for an8 in staged)


def test_a_supplier_whose_terms_are_unmapped_is_queued_then_replayed_once_with_the_fixed_table(
    world, tmp_path, monkeypatch
):
    from jde_coupa_parts import PAYMENT_TERMS

    from connector_assets.coupa.targets import CoupaSuppliers
    from connector_assets.operations.replay import replay_retry_queue

    resources, _coupa, ledger = world
    complete = PAYMENT_TERMS.read()
    table = tmp_path / "terms.csv"
    table.write_text(
        "jde_payment_terms,coupa_payment_term\n"
        + "".join(f"{jde},{coupa}\n" for jde, coupa in complete.items() if jde != "N30"),
        encoding="utf-8",
    )
    own_ledger(monkeypatch, tmp_path)  # a deployment whose table is imported from that file
    monkeypatch.setenv("ML_JDE_COUPA_PAYMENT_TERMS_MAP", str(table))
    result, metadata = _run(resources, *CHAIN)
    assert result.success  # the other suppliers proceed
    queued = ledger.open_items(integration="jde_coupa", flow="suppliers", status="failed")
    assert queued and all(
        "payment terms N30 (F0401 TRAP) have no Coupa payment term" in i.reason for i in queued
    )
    assert metadata["jde_coupa/suppliers_written"]["create"].value > 0
    assert all(_coupa_suppliers_numbered(resources, item.source_key) == [] for item in queued)

    # Finance adds the missing row; the replay job (chosen by reason) reads each supplier from JDE again and
    # maps it with today's table: written once, with its terms.
    save_rows(PAYMENT_TERMS, {"N30": "Net 30"}, note="N30 was missing", resources=resources)
    replays = replay_into_coupa(SUPPLIERS_FLOW, CoupaSuppliers, resources, remap=True)
    choice = {"ops": {"replay_queued_records": {"config": {"reason_contains": "payment terms"}}}}
    for _ in range(2):  # the second run finds nothing left to replay
        with instance_for_test() as instance:
            replayed = replay_retry_queue.execute_in_process(
                instance=instance,
                resources={"ledger": resources["ledger"], "replays": replays},
                run_config=choice,
            )
        assert replayed.success
    assert ledger.open_items(integration="jde_coupa", flow="suppliers") == []
    for item in queued:
        [supplier] = _coupa_suppliers_numbered(resources, item.source_key)
        assert supplier["payment-term"]["code"] == "Net 30"
        writes = [
            e.action for e in ledger.history(item.source_key) if e.action in ("create", "adopt", "replay")
        ]
        assert writes == ["create", "replay"], (item.source_key, writes)
