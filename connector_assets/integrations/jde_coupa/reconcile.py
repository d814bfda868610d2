"""Reconciliation for JD Edwards -> Coupa: both sides compared for a day; discrepancies as metadata + check.

For the day's JDE suppliers, purchase orders (every order line read from JDE again) and AP vouchers (the
staged source partitions) the asset looks each one up in Coupa itself, not in our ledger, which could
share a bug with the writer. It reports records present in JDE only, and per supplier the amount of the
day's orders (JDE's extended cost AEXP against Coupa's line ``total``) and of the day's vouchers (gross,
against Coupa's ``total-with-taxes``) when they differ. A record that is still in the retry queue is
reported as such, with the queue's reason. After a clean sync the check passes with no discrepancy.
"""

from collections import defaultdict
from decimal import Decimal
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    MaterializeResult,
    asset,
)

from connector_assets.asset_keys import asset_key
from connector_assets.integrations.jde_coupa.purchase_orders import po_number
from connector_assets.integrations.jde_coupa.suppliers import INTEGRATION
from connector_assets.jde.assets import jde_partitions
from connector_assets.jde.lookup import browse_in
from connector_assets.jde.tables import AP_LEDGER, PO_HEADERS, PO_LINES, SUPPLIERS

NAME = asset_key(INTEGRATION, "reconciliation")
CHECK = "in_balance"
SAMPLE = 20


def _lines_amount(lines: list[dict], amount: str) -> Decimal:
    """The lines' own amounts as each system states them (JDE AEXP, Coupa's line ``total``), not a product
    recomputed here: a recomputation would round the same way on both sides and hide a cent's difference."""
    return sum((Decimal(str(line.get(amount) or 0)) for line in lines), Decimal(0))


@asset(
    key=NAME,
    group_name=INTEGRATION,
    kinds={"jde", "coupa"},
    partitions_def=jde_partitions,
    # The Coupa side as each write step observed it (``target_asset``): lineage reads source -> mapped ->
    # written -> Coupa -> reconciliation.
    deps=[
        asset_key(INTEGRATION, "suppliers_in_coupa"),
        asset_key(INTEGRATION, "purchase_orders_in_coupa"),
        asset_key(INTEGRATION, "invoices_in_coupa"),
    ],
    required_resource_keys={"jde", "coupa", "staging", "ledger"},
    check_specs=[AssetCheckSpec(CHECK, asset=NAME, description="JDE and Coupa agree for the day.")],
    description="Compares the day's JDE suppliers, purchase orders and vouchers with what Coupa holds.",
)
def jde_coupa_reconciliation(context: AssetExecutionContext):
    staging, ledger = context.resources.staging, context.resources.ledger.get()
    day = context.partition_key
    queued = {
        item.source_key: item.reason for item in ledger.open_items(integration=INTEGRATION, limit=100_000)
    }
    problems: list[str] = []
    counts: dict[str, Any] = defaultdict(int)
    headers = list(staging.read_rows(PO_HEADERS.asset, day))
    jde_lines: dict[tuple, list[dict]] = defaultdict(list)
    with context.resources.jde.session() as jde:  # every line of the day's orders, read from JDE itself
        docos = sorted({int(h["DOCO"]) for h in headers})
        for row in browse_in(jde, PO_LINES.table, "DOCO", docos, ["KCOO", "DOCO", "DCTO", "SFXO", "AEXP"]):
            jde_lines[(row["KCOO"], row["DOCO"], row["DCTO"], row["SFXO"])].append(row)
    with context.resources.coupa.session() as coupa:
        for row in staging.read_rows(SUPPLIERS.asset, day):
            number = str(row["AN8"])
            counts["jde_suppliers"] += 1
            found = coupa.find_supplier(number=number)
            if found is None:
                why = queued.get(number, "not in the retry queue either")
                problems.append(f"supplier {number} is in JDE but not in Coupa ({why})")
                counts["suppliers_missing_in_coupa"] += 1
        per_supplier = _per_supplier()
        for header in headers:
            number = po_number(header)
            supplier = str(header["AN8"])
            key = (header["KCOO"], header["DOCO"], header["DCTO"], header["SFXO"])
            counts["jde_purchase_orders"] += 1
            side = per_supplier[supplier]
            side["jde"] += 1
            side["jde_amount"] += _lines_amount(jde_lines.get(key, []), "AEXP")
            order = coupa.find_purchase_order(number)
            if order is None:
                why = queued.get(number, "not in the retry queue either")
                problems.append(f"purchase order {number} is in JDE but not in Coupa ({why})")
                counts["purchase_orders_missing_in_coupa"] += 1
                continue
            side["coupa"] += 1
            side["coupa_amount"] += _lines_amount(order.get("order-lines") or [], "total")
        invoices = _compare_invoices(coupa, staging.read_rows(AP_LEDGER.asset, day), queued, problems, counts)
    for what, totals in (("orders", per_supplier), ("vouchers", invoices)):
        for supplier, side in sorted(totals.items()):
            if side["coupa"] and side["jde_amount"] != side["coupa_amount"] and side["jde"] == side["coupa"]:
                problems.append(
                    f"supplier {supplier}: the day's {what} total {side['jde_amount']} in JDE "
                    f"but {side['coupa_amount']} in Coupa"
                )
                counts["supplier_amount_mismatches"] += 1
    metadata = {**counts, "discrepancies": len(problems), "sample": "\n".join(problems[:SAMPLE]) or "none"}
    yield AssetCheckResult(check_name=CHECK, passed=not problems, metadata=metadata)
    yield MaterializeResult(metadata=metadata)


def _per_supplier() -> dict[str, dict[str, Any]]:
    return defaultdict(lambda: {"jde": 0, "coupa": 0, "jde_amount": Decimal(0), "coupa_amount": Decimal(0)})


def _compare_invoices(
    coupa: Any, ledger_rows: Any, queued: dict[str, str], problems: list[str], counts: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """The day's vouchers (F0411, one row per pay item) against Coupa's invoices, per supplier."""
    vouchers: dict[str, list[dict]] = defaultdict(list)
    for row in ledger_rows:
        vouchers[f"{str(row['KCO']).strip()}/{int(row['DOC'])}/{str(row['DCT']).strip()}"].append(row)
    totals = _per_supplier()
    for key, items in sorted(vouchers.items()):
        supplier, number = str(int(items[0]["AN8"])), str(items[0].get("VINV") or "").strip()
        counts["jde_vouchers"] += 1
        side = totals[supplier]
        side["jde"] += 1
        side["jde_amount"] += sum((Decimal(str(i.get("AG") or 0)) for i in items), Decimal(0))
        invoice = coupa.find_invoice(number, {"number": supplier}) if number else None
        if invoice is None:
            why = queued.get(key, "not in the retry queue either")
            problems.append(f"voucher {key} (invoice {number or '?'}) is in JDE but not in Coupa ({why})")
            counts["vouchers_missing_in_coupa"] += 1
            continue
        side["coupa"] += 1
        side["coupa_amount"] += Decimal(str(invoice.get("total-with-taxes") or 0))
    return totals
