"""JD Edwards -> Coupa: the AP ledger (F0411 vouchers, open and posted) -> Coupa invoices.

One voucher (KCO/DOC/DCT, one row per pay item) becomes one Coupa invoice numbered with the supplier's
invoice number (VINV), one invoice line per pay item. The GL account of a line: F0411 carries the
voucher's expense distribution only in F0911, which the connector does not read yet, so a voucher
matched to a purchase order takes the account of that order's lines (through the same mapping table as
the purchase-order flow); a voucher with no order and no account on the pay item is refused into the
retry queue saying so. A voucher whose supplier has not synced is held until it does.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pandera.pandas as pa
from pandera.typing import Series

from connector_assets.flows.assets import build_flow_assets
from connector_assets.flows.core import FlowSpec, Mapped, Rejected, replay_handler
from connector_assets.flows.jde_coupa import INTEGRATION, SUPPLIERS_FLOW
from connector_assets.flows.jde_coupa_pos import ACCOUNT_MAP_ASSET, load_account_map, with_line_ids
from connector_assets.jde.assets import jde_partitions
from connector_assets.jde.lookup import browse_in
from connector_assets.jde.tables import AP_LEDGER
from connector_resources.replay import register_replay_handler


class CoupaInvoiceRecord(pa.DataFrameModel):
    """What Coupa accepts as an invoice from the JDE AP ledger."""

    invoice_number: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": 40})
    supplier_number: Series[str] = pa.Field(str_matches=r"^\d{1,8}$")
    invoice_date: Series[str] = pa.Field(str_matches=r"^\d{4}-\d{2}-\d{2}$")
    lines: Series[int] = pa.Field(ge=1)

    class Config:
        strict = True
        coerce = True


def _voucher_key(row: dict) -> tuple:
    return (str(row["KCO"]).strip(), int(row["DOC"]), str(row["DCT"]).strip())


def _account(row: dict) -> str:
    parts = [str(row.get(k) or "").strip() for k in ("MCU", "OBJ", "SUB")]
    return ".".join(p for p in parts if p) if parts[1] else ""


def map_invoices(context: Any, partition: str | None) -> Iterator[Mapped | Rejected]:
    vouchers: dict[tuple, list[dict]] = {}
    for row in context.resources.staging.read_rows(AP_LEDGER.asset, partition):
        vouchers.setdefault(_voucher_key(row), []).append(row)
    orders = sorted(
        {
            int(r["PO"])
            for items in vouchers.values()
            for r in items
            if str(r.get("PO") or "").strip().isdigit()
        }
    )
    order_accounts: dict[int, str] = {}
    if orders:
        with context.resources.jde.session() as session:
            for line in browse_in(session, "F4311", "DOCO", orders, ["DOCO", "LNID", "ANI", "LNTY"]):
                typed = str(line.get("ANI") or "").strip()
                key = typed or f"LNTY:{str(line.get('LNTY') or '').strip()}"
                order_accounts.setdefault(
                    int(line["DOCO"]), key
                )  # the order's first line carries the account
    accounts = load_account_map()
    for key, items in sorted(vouchers.items()):
        yield _mapped_invoice(key, sorted(items, key=lambda r: str(r["SFX"])), order_accounts, accounts)


def _mapped_invoice(key: tuple, items: list[dict], order_accounts: dict[int, str], accounts: dict[str, str]):
    voucher = f"{key[0]}/{key[1]}/{key[2]}"
    first = items[0]
    number = str(first.get("VINV") or "").strip()
    supplier = str(int(first["AN8"]))
    order = str(first.get("PO") or "").strip()
    lines = []
    for item in items:
        jde_account = _account(item) or (order_accounts.get(int(order)) if order.isdigit() else "")
        if not jde_account:
            return Rejected(
                voucher,
                f"voucher {voucher} (invoice {number or '?'}): pay item {item['SFX']} has no "
                "GL account in F0411 and no purchase order to take it from; its distribution is in "
                "F0911, which the connector does not read yet",
            )
        code = accounts.get(jde_account)
        if code is None:
            return Rejected(
                voucher,
                f"voucher {voucher} (invoice {number or '?'}): account {jde_account} has no "
                "Coupa account in the mapping table",
            )
        lines.append(
            {
                "line-num": len(lines) + 1,
                "description": (
                    str(item.get("RMK") or "").strip() or f"voucher {voucher} pay item {item['SFX']}"
                )[:255],
                "quantity": "1",
                "price": str(Decimal(str(item.get("AG") or 0))),
                "account": {"code": code},
            }
        )
    invoice_date = first.get("DIVJ")
    date_text = invoice_date.isoformat() if invoice_date is not None else ""
    body = {
        "invoice-number": number,
        "supplier": {"number": supplier},
        "invoice-date": date_text,
        "currency": {"code": str(first.get("CRCD") or "").strip() or "USD"},
        "invoice-lines": lines,
    }
    return Mapped(
        source_key=voucher,
        body=body,
        fields={
            "invoice_number": number,
            "supplier_number": supplier,
            "invoice_date": date_text,
            "lines": len(lines),
        },
        natural_key={"invoice_number": number, "supplier": {"number": supplier}},
        depends_on=SUPPLIERS_FLOW.dependency_key(supplier),
    )


class CoupaInvoices:
    """The Coupa side: find by invoice number + supplier, create a draft invoice, or update it."""

    def __init__(self, session: Any) -> None:
        self.session = session

    def find(self, record: Mapped) -> str | None:
        found = self.session.find_invoice(
            record.natural_key["invoice_number"], record.natural_key["supplier"]
        )
        return str(found["id"]) if found else None

    def create(self, record: Mapped) -> str:
        return str(self.session.create_invoice(record.body)["id"])

    def update(self, target_id: str, record: Mapped) -> None:
        existing = self.session.get("invoices", target_id)
        self.session.update_invoice(target_id, with_line_ids(record.body, existing, "invoice-lines"))


@contextmanager
def _coupa_invoices(coupa: Any):
    with coupa.session(flow="invoices") as session:
        yield CoupaInvoices(session)


INVOICES_FLOW = FlowSpec(
    integration=INTEGRATION,
    name="invoices",
    entity="invoice",
    source_system="JDE",
    target_system="coupa",
    schema=CoupaInvoiceRecord,
    map_records=map_invoices,
    open_target=lambda context: _coupa_invoices(context.resources.coupa),
    # Vouchers not matched to an order cannot be placed on a GL account until F0911 is read, so a day
    # where most are unmatched is expected, not a sign of a broken mapping: only 90 % refused is systemic.
    systemic_share=0.9,
)

jde_coupa_invoice_assets = build_flow_assets(
    INVOICES_FLOW,
    partitions_def=jde_partitions,
    upstream=[AP_LEDGER.asset, ACCOUNT_MAP_ASSET, f"{SUPPLIERS_FLOW.flow}_written"],
    resource_keys={"jde", "coupa"},
    group=INTEGRATION,
    kinds={"jde", "coupa"},
)


def register_invoice_replay_handler() -> None:
    from connector_resources.coupa import CoupaResource

    register_replay_handler(
        INTEGRATION,
        "invoices",
        replay_handler(INVOICES_FLOW, lambda: _coupa_invoices(CoupaResource.from_settings())),
    )
