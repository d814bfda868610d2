"""JD Edwards -> Coupa: F0411 vouchers -> Coupa invoices, one voucher (KCO/DOC/DCT) to one invoice numbered
with VINV, billed on its order's accounts or its F0911 distribution, in its own currency. Depth:
docs/integrations/jde_coupa.md, "The flows" (AP ledger -> invoices).
"""

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from connector_assets.coupa.targets import CoupaInvoices
from connector_assets.flows.amounts import CENT, money
from connector_assets.flows.assembly import Flow
from connector_assets.flows.assets import build_flow_assets
from connector_assets.flows.core import Mapped, Rejected
from connector_assets.flows.instance import Instance
from connector_assets.flows.mapping_tables import MappingTable
from connector_assets.flows.record_models import ISO_DAY, matching, record_model, string, whole
from connector_assets.flows.replays import Replay
from connector_assets.jde.assets import jde_partitions
from connector_assets.jde.charges import typed_account
from connector_assets.jde.documents import (
    DISTRIBUTION_TABLE,
    JdeVoucher,
    changed_vouchers,
    own_amount,
    vouchers_by_key,
)
from connector_assets.jde.tables import AP_LEDGER, PO_LINES
from connector_resources.refusals import Refusal, mapping_missing, source_invalid

from .integration import route
from .purchase_orders import OrderMapping

CoupaInvoiceRecord = record_model(
    "CoupaInvoiceRecord",
    "What Coupa accepts as an invoice from the JDE AP ledger.",
    invoice_number=string(1, 40),
    supplier_number=matching(r"^\d{1,8}$"),
    invoice_date=matching(ISO_DAY),
    lines=whole(ge=1),
)


def _money(value: Any) -> Decimal:
    return Decimal(str(value or 0))


def invoices_flow(it: Instance, accounts: MappingTable, mapping: OrderMapping) -> Flow:
    """``it``'s invoices flow: lines through ``accounts`` (``mapping``'s, which names the suppliers flow each
    invoice waits for)."""

    def map_invoices(context: Any, partition: str | None) -> Iterator[Mapped | Rejected]:
        """The partition's changed vouchers as Coupa invoices."""
        snapshot = accounts.snapshot(context.resources.staging)
        vouchers = changed_vouchers(context.resources.staging, context.resources.jde, partition)
        originals = original_vouchers(context.resources.jde, vouchers)
        for voucher in vouchers:
            yield voucher_record(voucher, snapshot, mapping, originals)

    def remap_invoices(context: Any, keys: list[str]) -> Iterator[Mapped | Rejected]:
        """The named vouchers (``KCO/DOC/DCT``) read from JDE again and mapped with today's table (replay):
        the account file is staged afresh first, so a fixed table takes effect."""
        snapshot = accounts.restage(context.resources.staging)
        wanted = set()
        for key in keys:
            parts = key.split("/")
            if len(parts) == 3 and parts[1].isdigit():
                wanted.add((parts[0], int(parts[1]), parts[2]))
        vouchers = vouchers_by_key(context.resources.jde, wanted)
        originals = original_vouchers(context.resources.jde, vouchers)
        for voucher in vouchers:
            yield voucher_record(voucher, snapshot, mapping, originals)

    # Beside the staged F0411 (upstream), the voucher's distribution and its order's lines are read from JDE.
    spec = route(it).flow(
        "invoices",
        "invoice",
        CoupaInvoiceRecord,
        map_invoices,
        remap_invoices,
        CoupaInvoices,
        reads={"JDE": (DISTRIBUTION_TABLE, PO_LINES.table)},
    )
    assets = build_flow_assets(
        spec,
        partitions_def=jde_partitions,
        upstream=[AP_LEDGER.asset, accounts.asset, mapping.suppliers.key("written")],
        parents=[mapping.suppliers],  # a supplier unchanged since before the first day is pulled by the write
    )
    return Flow(spec, assets, replay=Replay(CoupaInvoices.for_replay))


def original_key(item: dict) -> tuple[str, int, str] | None:
    """The voucher a debit memo's pay item names as its original document (F0411 OKCO/ODOC/ODCT; the
    memo's own company when OKCO is blank), or None when it names none."""
    doc = int(item.get("ODOC") or 0)
    kind = str(item.get("ODCT") or "").strip()
    if not doc or not kind:
        return None
    return (str(item.get("OKCO") or "").strip() or str(item.get("KCO") or "").strip(), doc, kind)


def original_vouchers(jde: Any, vouchers: list[JdeVoucher]) -> dict[tuple, dict]:
    """The original voucher's first pay item of each debit memo among ``vouchers`` that names one, read
    from JDE: a Coupa credit note carries its original invoice's number and date."""
    wanted = {
        key
        for voucher in vouchers
        if voucher.gross() < 0 and (key := original_key(voucher.pay_items[0])) is not None
    }
    return {found.key: found.pay_items[0] for found in vouchers_by_key(jde, wanted)} if wanted else {}


def voucher_record(
    voucher: JdeVoucher,
    accounts: dict[str, str],
    mapping: OrderMapping,
    originals: dict[tuple, dict] | None = None,
) -> Mapped | Rejected:
    """The voucher mapped, its order's account what the order's first line is charged to: its account as
    typed, else its line type (``LNTY:S``); a debit memo's original voucher from ``originals``."""
    order_accounts, line = {}, voucher.order_line
    if voucher.order is not None and line is not None:
        typed = str(line.get("ANI") or "").strip()
        order_accounts[voucher.order] = typed or f"LNTY:{str(line.get('LNTY') or '').strip()}"
    key = original_key(voucher.pay_items[0])
    original = (originals or {}).get(key) if key is not None else None
    return mapped_invoice(
        voucher.key,
        voucher.pay_items,
        order_accounts,
        voucher.distribution,
        accounts,
        original,
        mapping=mapping,
    )


def _shown(amount: Decimal) -> str:
    """An amount as a finance user reads it: JDE's scaled values carry trailing zeros (12206.01000000)."""
    cents = amount.quantize(CENT)
    return str(cents) if cents == amount else str(amount.normalize())


def _price(amount: Decimal, voucher: JdeVoucher) -> str:
    """An amount of the invoice as Coupa gets it: a foreign voucher's with its currency's decimals
    (``money``: a finer one refused); a domestic voucher's as JDE gave it, the text it was always sent with,
    so an invoice sent before currencies were read is not re-sent as changed."""
    return money(amount, voucher.currency) if voucher.foreign else str(amount)


def _invoice_lines(
    voucher: JdeVoucher, order_accounts: dict[int, str]
) -> list[tuple[str, Decimal, str]] | str:
    """``(JDE account, amount in the voucher's currency, description)`` per Coupa invoice line, or why there
    can be none."""
    label, items, distribution = voucher.label, voucher.pay_items, voucher.distribution
    order = str(items[0].get("PO") or "").strip()
    if order.isdigit():
        account = order_accounts.get(int(order))
        if not account:
            return f"purchase order {order} has no lines in F4311 to take the GL account from"
        return [
            (
                account,
                own_amount(item) - _money(item.get("STAM")),
                str(item.get("RMK") or "").strip() or f"voucher {label} pay item {item['SFX']}",
            )
            for item in items
        ]
    ledger = "CA" if voucher.foreign else "AA"
    if not distribution:
        return (
            f"it has no purchase order and no G/L distribution (ledger {ledger}) in F0911 to take the GL "
            "account from"
        )
    expected = voucher.gross() - voucher.tax()
    distributed = sum((_money(row.get("AA")) for row in distribution), Decimal(0))
    if distributed != expected:
        return (
            f"its G/L distribution in F0911 totals {_shown(distributed)} but its pay items total "
            f"{_shown(expected)} "
            "(gross less tax); correct the voucher in JDE"
        )
    lines = []
    for row in distribution:
        account = typed_account(row)
        if not account:
            return f"F0911 line {row.get('JELN')} has no account"
        text = str(row.get("EXA") or "").strip() or f"voucher {label} G/L line {row.get('JELN')}"
        lines.append((account, _money(row.get("AA")), text))
    return lines


def mapped_invoice(
    key: tuple,
    items: list[dict],
    order_accounts: dict[int, str],
    distribution: list[dict],
    accounts: dict[str, str],
    original: dict | None = None,
    *,
    mapping: OrderMapping,
) -> Mapped | Rejected:
    """One voucher as a Coupa invoice; a debit memo (negative gross) as a credit note tied to ``original``,
    the first pay item of the voucher it names as its original document."""
    document = JdeVoucher(key, items, distribution=distribution)
    voucher = document.label
    first = items[0]
    number = str(first.get("VINV") or "").strip()
    supplier = str(int(first["AN8"]))
    label = f"voucher {voucher} (invoice {number or '?'})"
    try:
        planned = _invoice_lines(document, order_accounts)
        if not isinstance(planned, str):
            planned = [(account, _price(amount, document), text) for account, amount, text in planned]
            tax = document.tax()
    except ValueError as exc:  # an amount in the voucher's currency missing, or finer than it has
        sentence = f"{label}: {exc}"
        own = getattr(exc, "refusal", None)
        if isinstance(own, Refusal):
            return Rejected.of(voucher, Refusal(own.kind, sentence, own.params))
        return Rejected.of(voucher, source_invalid(sentence, field="amount"))
    if isinstance(planned, str):
        return Rejected.of(voucher, source_invalid(f"{label}: {planned}", field="distribution"))
    lines = []
    for jde_account, amount, text in planned:
        code = accounts.get(jde_account)
        if code is None:
            sentence = f"{label}: account {jde_account} has no Coupa account in the mapping table"
            lacks = mapping_missing(sentence, table=mapping.accounts.name, what="account", value=jde_account)
            return Rejected.of(voucher, lacks)
        lines.append(
            {
                "line-num": len(lines) + 1,
                "description": text[:255],
                "quantity": "1",
                "price": amount,
                "account": {"code": code},
            }
        )
    invoice_date = first.get("DIVJ")
    date_text = invoice_date.isoformat() if invoice_date is not None else ""
    body = {
        "invoice-number": number,
        "supplier": {"number": supplier},
        "invoice-date": date_text,
        "currency": {"code": document.currency or "USD"},
        "invoice-lines": lines,
    }
    if document.gross() < 0:
        # A negative voucher is a JDE debit memo (a supplier credit): a Coupa credit note, its lines keeping
        # their negative amounts so Coupa's total is JDE's gross. Coupa takes ``is-credit-note`` (its
        # ``document-type`` is output only) and then requires the original invoice's number and date
        # (Compass, Invoices API elements): those of the voucher the memo names (F0411 ODOC/ODCT/OKCO).
        credited = _credited_invoice(original)
        if isinstance(credited, str):
            return Rejected.of(voucher, source_invalid(f"{label}: {credited}", field="original document"))
        body["is-credit-note"] = True
        body.update(credited)
    if tax:
        body["tax-amount"] = str(tax)  # lines carry gross less tax, so Coupa's total is the voucher's gross
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
        depends_on=mapping.suppliers.dependency_key(supplier),
    )


def _credited_invoice(original: dict | None) -> dict[str, str] | str:
    """``original-invoice-number`` and ``original-invoice-date`` from the original voucher's pay item, or why
    a credit note cannot be sent (Coupa requires both on a credit note)."""
    if original is None:
        return (
            "it is a debit memo, which Coupa takes only as a credit note naming its original invoice, and it "
            "names no original voucher JDE still has (F0411 ODOC/ODCT); enter the original document on the "
            "debit memo in JDE"
        )
    number = str(original.get("VINV") or "").strip()
    day = original.get("DIVJ")
    if not number or day is None:
        return (
            "it is a debit memo whose original voucher has no supplier invoice number (VINV) or invoice "
            "date (DIVJ), which Coupa requires on a credit note"
        )
    return {"original-invoice-number": number[:40], "original-invoice-date": day.isoformat()}
