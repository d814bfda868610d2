"""A 3-day backfill driven through Dagster's GraphQL API, one day failing, then "rerun failed".

Everything is real: the JD Edwards and Coupa simulators on free loopback ports, ``dagster dev`` (webserver +
daemon, SQLite instance under a DAGSTER_HOME of the test's own, the project's workspace.yaml and
dagster.yaml, the write-pool limits ``ml-connector dev`` applies), the ledger, and only HTTP POSTs to
``/graphql``, as the UI sends them.

The failing day is made systemically bad the way it happens in production: the JDE sandbox's mass-update
day (anchor - 21 days) stamps many suppliers, with every payment-terms code the seed knows, while its
neighbours hold a few suppliers each. The payment-terms mapping table (``ML_JDE_COUPA_PAYMENT_TERMS_MAP``)
lists only the codes the neighbours use, so most of that day's suppliers cannot be mapped: they are
queued with their reasons, the day's others are written (every day's write materialized), and the day's
verdict step fails as systemic, while the neighbours go through. The operator then adds the missing terms
to the table, stages it (the flow maps with the staged snapshot), replays the queue (``ml-connector
replay``) and re-executes the backfill from failure.

What it proves (the backfill is one run for its range, yet each day keeps its own truth; it
failed when a ranged step returned one output for the range, and the three days failed together):
- the backfill runs the source reads and the flow assets in one run over the range; every day's write is
  MATERIALIZED with its own figures (records, creates), exactly the bad day's verdict is FAILED;
- after the replay, "re-execute from failure" launches one run, for that day's verdict only, and it succeeds;
- Coupa holds each supplier of the three days once, the ledger has one write and one cross-reference each.
"""

from __future__ import annotations

import csv
import datetime as dt
import time
from collections.abc import Iterable
from pathlib import Path

import pytest
import requests
from dagster_server import dagster_server, required_binaries, run_assets, run_tags
from jde_coupa_parts import PAYMENT_TERMS, SUPPLIERS_FLOW
from jde_coupa_world import coupa_supplier_numbers, jde_coupa_world, suppliers_of_day
from mapping_rows import import_file
from roots import ROOT
from unavailable import unavailable

from connector_assets.runtime.staging import StagingResource
from connector_resources.ledger import Ledger

pytestmark = pytest.mark.timeout(1200)  # dagster dev, its daemon and backfill runs: load 15 too

SANDBOX_TERMS = ROOT / "mappings" / "sandbox" / "jde_coupa_payment_terms.csv"
SOURCES = ["jde/suppliers", "jde/address_book"]
MAPPED, WRITTEN, VERDICT = (
    SUPPLIERS_FLOW.key("mapped").to_user_string(),
    SUPPLIERS_FLOW.key("written").to_user_string(),
    SUPPLIERS_FLOW.key("verdict").to_user_string(),
)
FLOW = [MAPPED, WRITTEN, VERDICT]
WRITES = ("create", "adopt", "update")


def write_terms(path: Path, codes: set[str] | None) -> None:
    """The sandbox's payment-terms table, restricted to ``codes`` (None: all of it)."""
    with SANDBOX_TERMS.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["jde_payment_terms", "coupa_payment_term"])
        writer.writeheader()
        writer.writerows(r for r in rows if codes is None or r["jde_payment_terms"] in codes)


def _only_flow_runs(backfill: dict) -> list[dict]:
    return [run for run in backfill["runs"] if run_assets(run) & set(FLOW)]


@pytest.fixture
def binaries_present() -> None:
    problem = required_binaries()
    if problem:
        unavailable(f"a real Dagster webserver and daemon are needed: {problem}")


def _run_day(run: dict) -> str | None:
    """The one day a run covers: its partition tag, or a range of one day; None for a longer range."""
    tags = run_tags(run)
    if "dagster/partition" in tags:
        return tags["dagster/partition"]
    start = tags.get("dagster/asset_partition_range_start")
    end = tags.get("dagster/asset_partition_range_end")
    return start if start is not None and start == end else None


def _run_range(run: dict) -> tuple[str | None, str | None]:
    """The first and last day of a run over a range of partitions (the backfill's one run)."""
    tags = run_tags(run)
    return tags.get("dagster/asset_partition_range_start"), tags.get("dagster/asset_partition_range_end")


def _by_day(materializations: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for event in materializations:
        out.setdefault(event["partition"], []).append(event["metadata"])
    return out


def _replay_suppliers(world, staging, ledger: Ledger, an8s: Iterable[int]) -> None:
    """``ml-connector replay`` of the suppliers' open items among ``an8s``: read from JDE again and mapped
    with the fixed table, written through the ledger; those the matching rule refuses stay queued."""
    from connector_assets.coupa.targets import CoupaSuppliers
    from connector_assets.flows.replays import Replays, replay_handler
    from connector_resources.replay import replay_items

    resources = {"jde": world.resources["jde"], "coupa": world.resources["coupa"], "staging": staging}
    opener = lambda: CoupaSuppliers.opened(world.resources["coupa"])  # noqa: E731
    handler = replay_handler(SUPPLIERS_FLOW, opener, lambda: resources)
    keys = {str(an8) for an8 in an8s}
    items = ledger.open_items(integration="jde_coupa", flow="suppliers", limit=10_000)
    replay_items(
        ledger, [i for i in items if i.source_key in keys], Replays({("jde_coupa", "suppliers"): handler})
    )


def _queued(ledger: Ledger, an8s: Iterable[int]) -> dict[str, str]:
    """``{source key: reason}`` of the suppliers flow's open retry-queue items among ``an8s``."""
    keys = {str(an8) for an8 in an8s}
    items = ledger.open_items(integration="jde_coupa", flow="suppliers", limit=10_000)
    return {item.source_key: item.reason for item in items if item.source_key in keys}


def _written_in_target(metadata: dict) -> int:
    return sum(int(metadata.get(k) or 0) for k in ("create", "adopt", "update", "skip"))


def test_a_backfill_day_that_fails_fails_alone_and_reruns_alone(tmp_path, binaries_present, monkeypatch):
    timings: dict[str, float] = {}
    clock = time.monotonic()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.monotonic()
        timings[name] = round(now - clock, 1)
        clock = now

    with jde_coupa_world(tmp_path, jde_scale=0.1, coupa_scale=0.02) as world:
        jde_root = world.jde_url.removesuffix("/jderest")
        state = requests.get(f"{jde_root}/sandbox/state", timeout=10).json()
        bad_day = dt.date.fromisoformat(state["seed"]["anchor_date"]) - dt.timedelta(days=21)
        days = [(bad_day + dt.timedelta(days=n)).isoformat() for n in (-1, 0, 1)]
        bad, good = days[1], [days[0], days[2]]
        suppliers = {day: suppliers_of_day(jde_root, day) for day in days}
        good_terms = {code for day in good for code in suppliers[day].values()}
        terms = tmp_path / "jde_coupa_payment_terms.csv"
        write_terms(terms, good_terms)

        # Preconditions on the sandbox's seeded data, so a change to the seed fails here, by name.
        unmapped = [an8 for an8, code in suppliers[bad].items() if code not in good_terms]
        total = len(suppliers[bad])
        assert total >= SUPPLIERS_FLOW.systemic_min, suppliers[bad]
        assert len(unmapped) > SUPPLIERS_FLOW.systemic_share * total, (good_terms, suppliers[bad])
        assert all(suppliers[day] for day in good), suppliers
        every = [an8 for day in days for an8 in suppliers[day]]
        assert len(every) == len(set(every)), "a supplier changed on two of the days"
        coupa_before = sum(coupa_supplier_numbers(world.coupa_url).values())
        lap("sandboxes")

        env = {
            "ML_JDE_AIS_URL": world.jde_url,
            "ML_COUPA_URL": world.coupa_url,
            "ML_CONNECTOR_DB_URL": world.ledger_url,
            "ML_JDE_COUPA_PAYMENT_TERMS_MAP": str(terms),
        }
        with dagster_server(tmp_path / "home", env) as server:
            lap("dagster_ready")
            # The flow maps with the staged table snapshot: stage it where the instance's runs read it, as
            # materializing jde_coupa/payment_terms_map (or a job run) would. The instance's ledger is the
            # world's: the table is imported from the restricted file on first use.
            monkeypatch.setenv("ML_CONNECTOR_DB_URL", world.ledger_url)
            monkeypatch.setenv("ML_JDE_COUPA_PAYMENT_TERMS_MAP", str(terms))
            instance_staging = StagingResource(base_dir=str(tmp_path / "home" / "staging"))
            PAYMENT_TERMS.stage(instance_staging)
            backfill_id = server.launch_backfill(SOURCES + FLOW, days, title="3 days, one bad")
            first = server.wait_backfill(backfill_id, timeout=240)
            lap("backfill")

            # One run for the range, the source reads and the flow together: it fails because
            # of the bad day, and each day keeps its own status below.
            described = [(_run_range(r), sorted(run_assets(r)), r["status"]) for r in first["runs"]]
            [run] = _only_flow_runs(first)
            assert (_run_range(run), run_assets(run)) == ((days[0], days[-1]), set(SOURCES + FLOW)), described
            assert run["status"] == "FAILURE", described
            assert first["status"] == "COMPLETED_FAILED", first["status"]

            mapped_status = server.partition_status(MAPPED, days)
            written_status = server.partition_status(WRITTEN, days)
            verdict_status = server.partition_status(VERDICT, days)
            assert set(mapped_status.values()) == {"MATERIALIZED"}, mapped_status  # refusals queued
            assert set(written_status.values()) == {"MATERIALIZED"}, written_status  # what passed, written
            assert verdict_status[bad] == "FAILED", verdict_status
            assert [verdict_status[d] for d in good] == ["MATERIALIZED", "MATERIALIZED"], verdict_status

            # Each day's materializations carry that day's own figures; the bad day wrote what passed.
            mapped = _by_day(server.materializations(MAPPED, days))
            written = _by_day(server.materializations(WRITTEN, days))
            assert sorted(mapped) == sorted(days) and sorted(written) == sorted(days), (mapped, written)
            ledger = Ledger(world.ledger_url)
            for day in good:
                [m], [w] = mapped[day], written[day]
                count = len(suppliers[day])
                assert (m["records"], m["valid"], m["rejected"]) == (count, count, 0), (day, m)
                assert _written_in_target(w) + w["fail"] == count, (day, w)
                assert w["fail"] == len(_queued(ledger, suppliers[day])), (day, w)
            # The bad day: every unmapped supplier queued with its reason, none written.
            [m] = mapped[bad]
            assert (m["records"], m["rejected"]) == (total, len(unmapped)), m
            queued_bad = _queued(ledger, suppliers[bad])
            assert set(map(str, unmapped)) <= set(queued_bad), queued_bad
            for an8 in unmapped:
                assert not [e for e in ledger.history(str(an8)) if e.action in WRITES], an8

            # The operator adds the missing terms, replays the queue, then re-executes from failure.
            import_file(
                PAYMENT_TERMS, SANDBOX_TERMS, note="every code the seed knows", resources=world.resources
            )
            PAYMENT_TERMS.stage(instance_staging)  # the operator materializes the fixed table
            _replay_suppliers(world, instance_staging, ledger, unmapped)
            before = server.run_ids()
            rerun_id = server.reexecute_backfill(backfill_id, "FROM_FAILURE")
            rerun = server.wait_backfill(rerun_id, timeout=180)
            lap("rerun")

            described = [(_run_day(r), sorted(run_assets(r)), r["status"]) for r in rerun["runs"]]
            [run] = rerun["runs"]
            # the verdict alone: the day was mapped and written (its refusals queued, now replayed)
            assert (_run_day(run), run_assets(run), run["status"]) == (bad, {VERDICT}, "SUCCESS"), described
            # Only the bad day's flow run was launched. Runs the instance launches of its own meanwhile (a
            # crashed run worker retried by run_retries) are named in the message; a flow's run fails it.
            launched = [r for r in server.runs() if r["runId"] not in before]
            flow_launched = {r["runId"] for r in launched if run_assets(r) & set(FLOW)}
            others = [
                (r["runId"], sorted(run_assets(r)), run_tags(r))
                for r in launched
                if r["runId"] != run["runId"]
            ]
            assert flow_launched == {run["runId"]}, f"only the bad day's run was launched: {others}"
            assert rerun["status"] == "COMPLETED_SUCCESS", rerun["status"]
            for asset in FLOW:
                assert set(server.partition_status(asset, days).values()) == {"MATERIALIZED"}, asset
            mapped = _by_day(server.materializations(MAPPED, days))
            written = _by_day(server.materializations(WRITTEN, days))
            assert {d: len(v) for d, v in mapped.items()} == dict.fromkeys(days, 1), mapped
            assert {d: len(v) for d, v in written.items()} == dict.fromkeys(days, 1), written
            [w] = written[bad]
            assert w["records"] == total - len(unmapped), w  # the day's staged suppliers; the rest replayed
            assert [e["runId"] for e in server.materializations(VERDICT, [bad])] == [run["runId"]]

            # Each supplier of the three days is in Coupa once, written once by the ledger, or refused by
            # the matching rule (a natural-key match that belongs to another JDE supplier, which the
            # sandbox seeds on purpose) and queued with its reason: never both, never twice.
            queued = _queued(ledger, every)
            assert all("natural-key match" in reason for reason in queued.values()), queued
            in_coupa, targets, creates = coupa_supplier_numbers(world.coupa_url), [], 0
            for an8 in every:
                writes = [e.action for e in ledger.history(str(an8)) if e.action in WRITES]
                if str(an8) in queued:
                    assert (writes, in_coupa[str(an8)]) == ([], 0), (an8, writes)
                    continue
                assert writes in (["create"], ["adopt"]), (an8, writes)
                assert in_coupa[str(an8)] <= 1, (an8, in_coupa[str(an8)])
                [xref] = [x for x in ledger.xrefs_for(str(an8)) if x.integration == "jde_coupa"]
                targets.append(xref.target_id)
                creates += writes == ["create"]
            assert None not in targets and len(set(targets)) == len(targets), targets
            assert sum(in_coupa.values()) - coupa_before == creates
            ledger.dispose()
        lap("stop")
    print(f"\nissue-10 backfill test timings (s): {timings}, total {sum(timings.values()):.1f}")
