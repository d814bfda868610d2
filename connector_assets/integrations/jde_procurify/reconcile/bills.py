"""Bills: per vendor and period, Procurify's bill register against the JDE vouchers the bills flow wrote.

A period is the month of the bill's GL date as the bills flow posts it: Procurify's ``gl_post_date``,
else its ``invoice_date`` (``bill_mappers``); on the JDE side the batch's GL date (F0411Z1 / F0911Z1
``DGJ``), which the flow sets from the same field.

Procurify's side of a vendor and period is its register: the bills of that vendor dated in the period
whose status counts as approved (``ML_JDE_PROCURIFY_BILL_STATUSES``), each at ``total_cost_with_tax``. A
bill another process exported before this integration posted it (``last_export_date`` set, no ``bill``
cross-reference) is not this integration's to post (the bills flow skips it): counted, left out of both
sides.

JDE's side is read from JDE itself, never from the ledger: every batch the flow wrote for the vendor's
supplier (voucher posting: F0411Z1 pay items under the flow's EDI user ``ML_JDE_PROCURIFY_BATCH_USER`` and
batch prefix ``PFY``, at the F0411 voucher's gross once R04110ZA processed it; journal posting: the
F0911Z1 AP credit line carrying the supplier as subledger). The bill each batch belongs to is read back
from its keys (``bill_uuid_of``: EDTN + EDBT hold the bill UUID's 32 hex digits), so a batch matches its
bill whatever the ledger says.

Named, each with its amounts: a bill in the register with no JDE batch (with why: the bills flow's
retry-queue reason, a hold, or the vendor has no JDE supplier), a batch for a bill not in the register
(moved back in Procurify, or dated in another period), and a bill whose amounts differ. The table holds,
per vendor and period, the counts and totals of both sides.
"""

from __future__ import annotations

from connector_assets.flows.reconciliation import Report, money
from connector_assets.flows.reconciliation_totals import SideTotals
from connector_assets.integrations.jde_procurify.bill_mappers import BATCH_KEYS
from connector_assets.jde.reconcile_reads import JdeBatch
from connector_assets.procurify.reconcile_reads import RegisterBill
from connector_assets.procurify.register_comparison import RegisterComparison, RegisterWords

# The bill UUID a batch's keys hold (``bill_mappers.batch_key`` reversed), None for a batch of another kind.
bill_uuid_of = BATCH_KEYS.uuid_of


WORDS = RegisterWords.of(
    """
    target: jde
    missing kind: bill missing in JDE
    missing: {bill} of {vendor}, {status} in Procurify for {amount}, has no JDE voucher ({why})
    not sent: not posted yet, and not in the retry queue either
    no counterpart: the vendor has no JDE supplier yet
    amount kind: bill amount
    amount: {bill} of {vendor} is {amount} in Procurify but {other} in JDE {doc.where} (difference {gap})
    """
)


class BillRows(SideTotals):
    """Per vendor and period: counts and totals of both sides."""

    def __init__(self) -> None:
        super().__init__(
            columns=("Vendor", "Period", "Procurify bills", "Procurify amount", "JDE vouchers", "JDE amount"),
            first="procurify",
            empty="No approved Procurify bills changed this day.",
        )


def compare_vendor_period(
    report: Report,
    rows: BillRows,
    vendor: str,
    an8: str | None,
    period: str,
    register: list[RegisterBill],
    batches: list[JdeBatch],
    why_missing: dict[str, str],
    elsewhere: dict[str, str],
) -> None:
    """One vendor's period: ``register`` the vendor's Procurify bills dated in the period (any status),
    ``batches`` the JDE batches of the vendor's supplier (``an8``, None: the vendor has no JDE supplier)
    dated in the period; ``why_missing``: bill uuid -> why it is not in JDE (queue reason or hold);
    ``elsewhere``: bill uuid -> the period (or status) Procurify gives a bill whose batch is here but
    which is not in this period's register."""
    scope = f"{vendor}, {period}"
    supplier = f"JDE supplier {an8}" if an8 else "no JDE supplier"
    comparison = RegisterComparison(report, rows, (vendor, period), scope, vendor, an8, WORDS)
    comparison.compare(register, {b.source_key: b for b in batches}, why_missing)
    registered = {b.uuid: b for b in register if b.approved}
    for batch in batches:
        if batch.source_key in registered:
            continue
        rows.add((vendor, period), "jde", batch.amount)
        shown = next((b for b in register if b.uuid == batch.source_key), None)
        if shown is not None:
            now = f"is {shown.status} in Procurify now"
        elif batch.source_key in elsewhere:
            now = f"is {elsewhere[batch.source_key]} in Procurify"
        else:
            now = "is not an approved bill of this vendor and period in Procurify"
        report.differ(
            "voucher without approved bill",
            f"bill {batch.source_key} (invoice {batch.invoice or 'none'})",
            scope,
            money(batch.amount),
            "-",
            f"JDE {batch.where} of {supplier} ({money(batch.amount)}, {period}) was posted for Procurify "
            f"bill {batch.source_key}, which {now}",
        )
