"""What an A/P clerk does to vouchers in E1 by hand, outside AIS (operator routes, not AIS): enter a voucher
for a supplier (P0411), change the gross amount of a pay item, void a voucher, delete an unprocessed batch
transaction (P0411Z1).

Why the sandbox plays it: an integration that writes vouchers into JDE reconciles them against its source,
and proving that needs the changes another user of JDE makes behind its back. The reference documents the
columns these touch (section 3: F0411 ``AG``, ``AAP``, ``PST``, ``VOD``; F0411Z1 processed rows cannot be
revised in P0411Z1, "cannot edit processed rows"). It does not say how a void shows in F0411: the sandbox
reads the void flag as ``VOD`` = ``V`` on every pay item with nothing left open (``AAP``, ``FAP`` 0) and the
gross kept (what was voided). A paid pay item is neither changed nor voided (its payment is voided first).
Each change stamps the rows as the clerk's (``USER``, ``PID``, ``UPMJ``, ``UPMT``); F0911 follows a changed
gross (the pay item's distribution line) but a void writes no reversing entry here.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from .currency import RATE_DECIMALS, convert, currency_decimals, fits, from_stored, text, to_stored
from .dates import to_hhmmss, to_julian
from .factory import DataFactory
from .store import Store

CLERK = {"USER": "APCLERK", "JOBN": "WS204"}
VOIDED = "V"  # F0411 VOD of a voided pay item


class ClerkRefused(ValueError):
    """What E1 would not let the clerk do, in its words (a 400 or 404 on the operator route)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _cents(value: Any, what: str) -> int:
    return to_stored(_amount(value, what, 2), 2)


def _stamp(now: dt.datetime, program: str) -> dict[str, Any]:
    return {**CLERK, "PID": program, "UPMJ": to_julian(now.date()), "UPMT": to_hhmmss(now)}


def _pay_items(store: Store, company: str, number: int, kind: str) -> list[dict[str, Any]]:
    items = store.fetch_dicts(
        'SELECT * FROM "F0411" WHERE "KCO" = ? AND "DOC" = ? AND "DCT" = ? ORDER BY "SFX"',
        (company, number, kind),
    )
    if not items:
        raise ClerkRefused(f"voucher {company} {number} {kind} does not exist in F0411", 404)
    return items


def enter_voucher(
    store: Store, factory: DataFactory, now: dt.datetime, supplier: int, gross: Any = None, invoice: str = ""
) -> dict[str, Any]:
    """A one-pay-item voucher for ``supplier`` entered today (P0411), with its F0911 distribution on an
    expense account of the supplier's company; ``gross`` and ``invoice`` as given, else drawn."""
    ref = next((s for s in factory.suppliers if s.an8 == int(supplier)), None)
    if ref is None:
        raise ClerkRefused(f"address number {supplier} is not a supplier (no F0401 row)", 404)
    stamp = (to_julian(now.date()), to_hhmmss(now))
    with store.transaction() as conn:
        doc = store.next_number("F0411", "DOC", floor=10_000)
        batch = store.next_number("F0411", "ICU", floor=50_000)
        rows = factory.voucher(doc, batch, ref, None, stamp, invoice_date=now.date())[:1]
        row = rows[0]
        row.update(SFX="001", PST="A", **_stamp(now, "P0411"))
        if gross is not None:
            cents = _cents(gross, "gross amount")
            row.update(AG=cents, AAP=cents, ATXN=cents)
        else:
            row.update(AAP=row["AG"])
        if invoice:
            row["VINV"] = str(invoice)[:25]
        store.insert("F0411", rows, connection=conn)
        store.insert("F0911", factory.voucher_distribution(rows), connection=conn)
    return {"KCO": row["KCO"], "DOC": doc, "DCT": row["DCT"], "AN8": ref.an8, "VINV": row["VINV"]}


def _amount(value: Any, what: str, decimals: int) -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ClerkRefused(f"{what} {value!r} is not an amount") from None
    if not amount.is_finite() or not fits(amount, decimals):
        raise ClerkRefused(f"{what} {value} has more than {decimals} decimals")
    return amount


def change_gross(
    store: Store, now: dt.datetime, company: str, number: int, kind: str, gross: Any, pay_item: str = "001"
) -> dict[str, Any]:
    """The gross (and open amount) of one pay item changed, and its F0911 distribution line with it.

    A foreign pay item (CRRM F) is changed in its own currency: ``ACR`` / ``FAP`` take the new gross (with its
    currency's decimals), ``AG`` / ``AAP`` its conversion at the voucher's rate ``CRR``, the F0911 ``AA``
    ledger line the domestic amount and the ``CA`` line the foreign one."""
    item = next((i for i in _pay_items(store, company, number, kind) if i["SFX"] == pay_item), None)
    if item is None:
        raise ClerkRefused(f"voucher {company} {number} {kind} has no pay item {pay_item}", 404)
    if item["PST"] == "P" or item["VOD"] == VOIDED:
        state = "voided" if item["VOD"] == VOIDED else "paid"
        raise ClerkRefused(f"pay item {pay_item} of voucher {company} {number} {kind} is {state}")
    foreign = item["CRRM"] == "F"
    places = (currency_decimals(store.conn, item["CRCD"]) or 0) if foreign else 2
    amount = _amount(gross, "gross amount", places)
    domestic = convert(amount, from_stored(item["CRR"], RATE_DECIMALS), 2) if foreign else amount
    cents = to_stored(domestic, 2)
    foreign_amount = to_stored(amount, places) if foreign else 0
    audit = _stamp(now, "P0411")
    where = 'WHERE "KCO" = ? AND "DOC" = ? AND "DCT" = ? AND "SFX" = ?'
    with store.transaction() as conn:
        conn.execute(
            'UPDATE "F0411" SET "AG" = ?, "AAP" = ?, "ATXN" = ?, "ACR" = ?, "FAP" = ?, '
            f'"USER" = ?, "JOBN" = ?, "PID" = ?, "UPMJ" = ?, "UPMT" = ? {where}',
            (
                cents,
                cents,
                cents,
                foreign_amount,
                foreign_amount,
                *audit.values(),
                company,
                number,
                kind,
                pay_item,
            ),
        )
        for ledger, value in (("AA", cents), ("CA", foreign_amount)):
            conn.execute(
                'UPDATE "F0911" SET "AA" = ?, "USER" = ?, "JOBN" = ?, "PID" = ?, "UPMJ" = ?, "UPMT" = ? '
                f'{where} AND "LT" = ?',
                (value, *audit.values(), company, number, kind, pay_item, ledger),
            )
    changed = {"KCO": company, "DOC": number, "DCT": kind, "SFX": pay_item, "AG": text(domestic, 2)}
    return changed | ({"ACR": text(amount, places), "CRCD": item["CRCD"]} if foreign else {})


def void_voucher(store: Store, now: dt.datetime, company: str, number: int, kind: str) -> dict[str, Any]:
    """Every pay item of a voucher voided (P0411): ``VOD`` = ``V``, nothing open, the gross kept."""
    items = _pay_items(store, company, number, kind)
    if all(i["VOD"] == VOIDED for i in items):
        raise ClerkRefused(f"voucher {company} {number} {kind} is already voided")
    paid = [i["SFX"] for i in items if i["PST"] == "P"]
    if paid:
        raise ClerkRefused(
            f"voucher {company} {number} {kind} has paid pay items ({', '.join(paid)}): "
            "void the payment first"
        )
    audit = _stamp(now, "P0411")
    with store.transaction() as conn:
        conn.execute(
            'UPDATE "F0411" SET "VOD" = ?, "AAP" = 0, "FAP" = 0, '
            '"USER" = ?, "JOBN" = ?, "PID" = ?, "UPMJ" = ?, "UPMT" = ? '
            'WHERE "KCO" = ? AND "DOC" = ? AND "DCT" = ?',
            (VOIDED, *audit.values(), company, number, kind),
        )
    return {"KCO": company, "DOC": number, "DCT": kind, "voided_pay_items": [i["SFX"] for i in items]}


def delete_batch_transaction(store: Store, user: str, batch: str, transaction: str) -> dict[str, Any]:
    """An unprocessed batch transaction deleted from F0411Z1 and F0911Z1 (P0411Z1); a processed one is
    refused, as P0411Z1 cannot revise processed rows."""
    key = (user, batch, transaction)
    where = '"EDUS" = ? AND "EDBT" = ? AND "EDTN" = ?'
    states = [
        row["EDSP"]
        for table in ("F0411Z1", "F0911Z1")
        for row in store.fetch_dicts(f'SELECT "EDSP" FROM "{table}" WHERE {where}', key)
    ]
    if not states:
        raise ClerkRefused(f"no F0411Z1 transaction {user}/{batch}/{transaction} (nor F0911Z1 lines)", 404)
    if "1" in states:
        raise ClerkRefused(
            f"transaction {user}/{batch}/{transaction} was processed by R04110ZA; P0411Z1 cannot change "
            "processed rows (void the voucher instead)"
        )
    with store.transaction() as conn:
        deleted = {
            t: conn.execute(f'DELETE FROM "{t}" WHERE {where}', key).rowcount for t in ("F0411Z1", "F0911Z1")
        }
    return {"EDUS": user, "EDBT": batch, "EDTN": transaction, "deleted": deleted}
