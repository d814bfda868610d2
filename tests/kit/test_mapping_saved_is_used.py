"""The mapping a person saved is the mapping the next run uses: a backfill of a flow's mapped asset alone,
with no run of the table's asset in between, maps with the table as saved in the ledger (its snapshot
staged afresh), names the version in its materialization, and the ledger notes which run used it."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, timedelta

import jde_coupa_parts as jde_coupa
from asset_runs import metadata_values, run_named
from dagster import AssetKey
from instances import instance_for_test
from jde_coupa_world import coupa_supplier_numbers, jde_coupa_world

from connector_assets.flows.mapping_changes import plan_change, save_change
from connector_assets.jde.assets import jde_assets
from connector_resources.ledger.operator_actions import Operator

CLERK = Operator("ann", "operator")
DAY = (date.today() - timedelta(days=21)).isoformat()  # the JDE sandbox's busy mass-update day
MAPPED = AssetKey(["jde_coupa", "suppliers_mapped"])


def test_a_terms_row_deleted_at_the_desk_refuses_its_suppliers_in_the_next_backfill(
    tmp_path, monkeypatch
) -> None:
    # The tables live in the world's ledger, as in a deployment (one ledger for runs, tables and the desk).
    monkeypatch.setenv("ML_CONNECTOR_DB_URL", f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    terms = jde_coupa.PAYMENT_TERMS
    every = [*jde_assets, *jde_coupa.jde_coupa_assets]
    with jde_coupa_world(tmp_path) as world, instance_for_test() as instance:
        staging, ledger = world.resources["staging"], world.ledger
        names = ["jde/suppliers", "jde/address_book", MAPPED]
        before = run_named(world.resources, names, every, DAY, instance=instance)  # mapped with version 1
        assert metadata_values(before)[MAPPED][f"{terms.name} version"] == "1"
        codes = {key: body.get("payment-term", {}).get("code") for key, body in _mapped(staging).items()}
        used = Counter(code for code in codes.values() if code)
        assert len(used) >= 2, used  # one code's suppliers refused, the others still mapped
        coupa_code = min(used, key=lambda c: (used[c], c))
        (code,) = [jde for jde, coupa in terms.snapshot(staging).items() if coupa == coupa_code]
        dropped = {key for key, mapped_code in codes.items() if mapped_code == coupa_code}

        # The clerk deletes the row at the desk; nothing stages the table's asset again.
        planned = plan_change(terms, {code: None}, ledger=ledger, resources=world.resources)
        saved = save_change(planned, by=CLERK, note="terms retired", origin="desk", ledger=ledger)

        mapped = run_named(world.resources, [MAPPED], every, DAY, instance=instance)
        meta = metadata_values(mapped)[MAPPED]
        assert meta[f"{terms.name} version"] == str(saved.version)
        assert meta[f"{terms.name} snapshot"] == terms.snapshot(staging).fingerprint
        staged = set(_mapped(staging))
        assert staged and not staged & dropped  # mapped with the saved table: none of them is to be written
        queued = {
            item.source_key: item for item in ledger.open_items(integration="jde_coupa", flow="suppliers")
        }
        for an8 in dropped:
            assert f"payment terms {code} " in queued[an8].reason
        (use, *_) = ledger.mapping_uses(terms.name)
        assert (use.version, use.run_id) == (saved.version, mapped.run_id)

        run_named(world.resources, ["jde_coupa/suppliers_written"], every, DAY, instance=instance)
        in_coupa = coupa_supplier_numbers(world.coupa_url)
        assert not dropped & set(in_coupa)  # refused, not created
        assert staged <= set(in_coupa)


def _mapped(staging) -> dict[str, dict]:
    """The day's mapped suppliers staged for the write: source key -> the Coupa body."""
    rows = (json.loads(row["payload"]) for row in staging.read_rows(MAPPED, DAY))
    return {row["source_key"]: row["body"] for row in rows}
