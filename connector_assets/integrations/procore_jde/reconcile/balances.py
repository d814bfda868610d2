"""The per project and period balances of a reconciliation: Procore's approved requisition amounts against
the JDE vouchers and purchase order lines, by account with the cost codes charged to it. A commitment billed
in a period counts once in that period's rows, however many of its requisitions the period has."""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from connector_assets.flows.reconciliation import markdown_table, money
from connector_assets.jde.account_amounts import Amounts

if TYPE_CHECKING:
    from connector_assets.jde.reconcile_documents import VoucherBatch
    from connector_assets.jde.reconcile_orders import ReferencedOrder


class Billed(Protocol):
    """What a row needs of an approved requisition (``documents.ApprovedRequisition``): the comparisons
    import this module, so it names the shape, not their class."""

    commitment_id: str
    project: str
    period: str
    approved: Amounts


class Committed(Protocol):
    """What a row needs of a commitment (``orders.Commitment``): its key."""

    @property
    def key(self) -> str: ...


ROWS = 100  # rows of the table in metadata; more are summed up in a last line
COLUMNS = ("procore_approved", "jde_voucher", "procore_committed", "jde_po_lines")
HEADINGS = ("Project", "Period", "Account", "Cost codes", "Procore approved", "JDE voucher",
            "Procore committed", "JDE PO lines")  # fmt: skip


@dataclass
class Balance:
    codes: list[str] = field(default_factory=list)
    amounts: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(COLUMNS, Decimal(0)))

    def differs(self, vouchers: bool) -> bool:
        """Whether the sides differ here (approved against vouchered only while vouchers are on)."""
        a = self.amounts
        unvouchered = vouchers and a["procore_approved"] != a["jde_voucher"]
        return unvouchered or a["procore_committed"] != a["jde_po_lines"]


@dataclass
class Balances:
    vouchers: bool = True  # ML_PROCORE_JDE_VOUCHERS: with it off, no requisition is expected in a voucher
    rows: dict[tuple[str, str, str], Balance] = field(default_factory=dict)
    # commitment id -> the (project, period) pairs its approved requisitions bill
    billed_in: dict[str, set[tuple[str, str]]] = field(default_factory=lambda: defaultdict(set))

    def _row(self, project: str, period: str, account: str) -> Balance:
        return self.rows.setdefault((project, period, account), Balance())

    def _add(self, project: str, period: str, column: str, found: dict[str, Decimal], codes: Any) -> None:
        for account, value in found.items():
            row = self._row(project, period, account)
            row.amounts[column] += value
            for code in (codes or {}).get(account) or []:
                if code not in row.codes:
                    row.codes.append(code)

    def add_requisition(self, req: Billed, voucher: "VoucherBatch | None") -> None:
        self.billed_in[req.commitment_id].add((req.project, req.period))
        self._add(req.project, req.period, "procore_approved", req.approved.by_account, req.approved.codes)
        if voucher is not None:
            self._add(req.project, req.period, "jde_voucher", voucher.by_account, None)

    def add_order(self, side: Committed, expected: Amounts, order: "ReferencedOrder | None") -> None:
        """A billed commitment's amounts (``order`` None: JDE has no purchase order for it)."""
        for project, period in sorted(self.billed_in.get(side.key, ())):
            self._add(project, period, "procore_committed", expected.by_account, expected.codes)
            if order is not None:
                self._add(project, period, "jde_po_lines", order.by_account, None)

    @property
    def out_of_balance(self) -> int:
        return sum(1 for row in self.rows.values() if row.differs(self.vouchers))

    def table(self) -> str:
        if not self.rows:
            return "No approved requisitions."
        ordered = sorted(self.rows.items())
        rows = (
            (*key, ", ".join(row.codes), *(money(row.amounts[c]) for c in COLUMNS)) for key, row in ordered
        )
        return markdown_table(HEADINGS, rows, len(ordered), ROWS, "more rows.")
