"""Orders: each JDE order sent to Procurify, its JDE total against the Procurify total of what it became.

The JDE total is the sum of F4311 AEXP (extended cost) over the order's lines not cancelled (last status
below ``ML_JDE_PROCURIFY_CLOSED_STATUS``): exactly what the purchase order flow sends, line by line, so a
requisition's total is JDE's to the cent (``order_mappers``). A cancelled line was left off the
requisition, so it is left off here too.

The Procurify side is the linked PO's ``subtotal`` (every PO linked to the order, when Procurify purchased
one requisition as one PO per vendor; a cancelled PO counts nothing), or, while the requisition is not
purchased yet, the requisition's ``totalPrice``. Why the subtotal and not ``total``: tax, freight, "other"
and discount exist only in Procurify (a buyer adds them on the PO, §2.5); JDE's AEXP carries none of them
(JDE computes tax apart, and freight comes in as a voucher line), so ``total`` would differ on every taxed
order without anything being wrong. What Procurify adds on top (``total`` - ``subtotal``) is shown in the
table, beside the two compared figures, never counted as a difference.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from connector_assets.flows.reconciliation import Report, markdown_table, money
from connector_assets.jde.reconcile_reads import JdeOrderTotal
from connector_assets.procurify.reconcile_reads import ProcurifyOrderTotal

ROWS = 100  # rows of the per-order table in metadata; more are summed up in a last line
COLUMNS = (
    "JDE order",
    "Procurify",
    "JDE total (AEXP)",
    "Procurify subtotal",
    "Procurify adds (tax, freight, other, less discount)",
    "Procurify total",
    "Difference",
)


@dataclass
class OrderRows:
    """The per-order table: JDE total, Procurify subtotal and total, what Procurify adds on top."""

    rows: list[tuple[str, str, str, str, str, str, str]] = field(default_factory=list)
    out_of_balance: int = 0

    def add(self, jde: JdeOrderTotal, procurify: ProcurifyOrderTotal | None, differs: bool) -> None:
        self.out_of_balance += differs
        own = procurify.total - procurify.subtotal if procurify and procurify.found else None
        gap = procurify.subtotal - jde.total if procurify and procurify.found and jde.found else None
        self.rows.append(
            (
                jde.label,
                procurify.what if procurify else "-",
                money(jde.total) if jde.found else "-",
                money(procurify.subtotal) if procurify and procurify.found else "-",
                money(own) if own is not None else "-",
                money(procurify.total) if procurify and procurify.found else "-",
                money(gap) if gap is not None else "-",
            )
        )

    def table(self) -> str:
        if not self.rows:
            return "No JDE orders sent to Procurify changed on either side this day."
        return markdown_table(COLUMNS, sorted(self.rows), len(self.rows), ROWS, "more orders.")


def compare_order(
    report: Report,
    rows: OrderRows,
    jde: JdeOrderTotal,
    procurify: ProcurifyOrderTotal | None,
    queued: str | None,
) -> None:
    """One order's totals compared. ``procurify`` None: the ledger names no requisition for it;
    ``queued``: why the purchase order flow holds a change of it back (its retry-queue reason), if it does."""
    report.counts["orders_compared"] += 1
    why = f" ({queued})" if queued else ""
    order = f"JDE order {jde.label}"
    if procurify is None or not procurify.found:
        what = procurify.what if procurify else "no requisition"
        problem = f": {procurify.problem}" if procurify and procurify.problem else ""
        report.differ(
            "order missing in Procurify",
            order,
            jde.key,
            money(jde.total) if jde.found else "-",
            "-",
            f"{order} was sent to Procurify as {what}, which Procurify does not hold{problem}{why}",
        )
        rows.add(jde, procurify, True)
        return
    if not jde.found:
        report.differ(
            "order missing in JDE",
            order,
            jde.key,
            "-",
            money(procurify.subtotal),
            f"{order} ({procurify.what} in Procurify, subtotal {money(procurify.subtotal)}) is no longer in "
            "JDE (no F4301/F4311 rows)",
        )
        rows.add(jde, procurify, True)
        return
    if procurify.subtotal != jde.total:
        cancelled = " (every line is cancelled in JDE)" if jde.cancelled_lines and not jde.lines else ""
        report.differ(
            "order total",
            order,
            jde.key,
            money(jde.total),
            money(procurify.subtotal),
            f"{order}: JDE lines total {money(jde.total)}{cancelled} but {procurify.what} in Procurify has "
            f"subtotal {money(procurify.subtotal)} (difference {money(procurify.subtotal - jde.total)})"
            f"{why}",
        )
        rows.add(jde, procurify, True)
        return
    report.counts["orders_in_balance"] += 1
    rows.add(jde, procurify, False)
