"""Things that happen in JDE without the integration: users working, and the batch voucher processor.

``make_activity`` creates and changes records the way people using E1 would, all stamped with the
same "now" (UPMJ today, one UPMT/TDAY), so incremental readers have something new to find and meet a
run of identical cursor values; new vouchers come with their F0911 G/L distribution.
``process_voucher_batches`` plays R04110ZA: it turns unprocessed F0411Z1 transactions into F0411
vouchers and their F0911Z1 lines into F0911, so an integration can read back what it wrote. Its fiscal
date edit is the one entry makes (reference section 5): a transaction whose G/L date is in error stays
unprocessed (EDSP 0) and the batch carries on; a warning is reported and the transaction processed.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from connector_sandbox.activity import activity_request

from .currency import (
    RATE_DECIMALS,
    allocate,
    company_currency,
    convert,
    currency_decimals,
    exchange_rate,
    from_stored,
    to_stored,
)
from .dates import from_julian, to_hhmmss, to_julian
from .factory import DataFactory, ledger_from_batch
from .periods import gl_date_edit
from .settings import PeriodSettings
from .store import Store
from .tables import TABLES
from .vocabulary import PAYMENT_TERMS

# How much business activity to make (``POST /sandbox/activity``); a little of everything by default.
ActivityRequest = activity_request(
    "new_suppliers",
    "updated_suppliers",
    "new_purchase_orders",
    "updated_purchase_orders",
    "new_vouchers",
    "updated_vouchers",
    default=2,
)


def _random_rows(store: Store, factory: DataFactory, table: str, columns: str, count: int) -> list[tuple]:
    """``count`` existing rows picked by rowid (cheap at any table size, deterministic given the rng)."""
    highest = store.conn.execute(f'SELECT MAX(rowid) FROM "{table}"').fetchone()[0] or 0
    rows: list[tuple] = []
    attempts = 0
    while len(rows) < count and highest and attempts < count * 20:
        attempts += 1
        row = store.conn.execute(
            f'SELECT {columns} FROM "{table}" WHERE rowid = ?', (factory.rng.randint(1, highest),)
        ).fetchone()
        if row is not None and row not in rows:
            rows.append(row)
    return rows


def make_activity(
    store: Store, factory: DataFactory, now: dt.datetime, request: ActivityRequest
) -> dict[str, Any]:
    stamp = (to_julian(now.date()), to_hhmmss(now))
    rng = factory.rng
    user = {"USER": "JSMITH", "JOBN": "WS101"}
    report: dict[str, Any] = {"UPMJ": stamp[0], "time": stamp[1]}
    with store.transaction() as conn:
        new_suppliers = []
        for _ in range(request.new_suppliers):
            an8 = store.next_number("F0101", "AN8", floor=1001)
            book, supplier, ref = factory.supplier(an8, stamp)
            store.insert("F0101", [book], connection=conn)
            store.insert("F0401", [supplier], connection=conn)
            factory.suppliers.append(ref)
            new_suppliers.append(an8)
        report["new_suppliers"] = new_suppliers

        updated_suppliers = []
        for (an8,) in _random_rows(store, factory, "F0401", '"AN8"', request.updated_suppliers):
            terms = rng.choice(tuple(PAYMENT_TERMS))
            audit = {**user, "UPMJ": stamp[0], "UPMT": stamp[1]}
            conn.execute(
                'UPDATE "F0401" SET "TRAP" = ?, "PID" = \'P04012\', "USER" = ?, "JOBN" = ?, "UPMJ" = ?, '
                '"UPMT" = ? WHERE "AN8" = ?',
                (terms, *audit.values(), an8),
            )
            conn.execute(
                'UPDATE "F0101" SET "PID" = \'P01012\', "USER" = ?, "JOBN" = ?, "UPMJ" = ?, "UPMT" = ? '
                'WHERE "AN8" = ?',
                (*audit.values(), an8),
            )
            updated_suppliers.append(an8)
        report["updated_suppliers"] = updated_suppliers

        new_orders = []
        for _ in range(request.new_purchase_orders):
            doco = store.next_number("F4301", "DOCO", floor=4000)
            header, lines, _ref = factory.purchase_order(doco, rng.choice(factory.suppliers), stamp)
            store.insert("F4301", [header], connection=conn)
            store.insert("F4311", lines, connection=conn)
            new_orders.append(
                {"KCOO": header["KCOO"], "DOCO": doco, "DCTO": header["DCTO"], "lines": len(lines)}
            )
        report["new_purchase_orders"] = new_orders

        updated_orders = []
        key_columns = '"KCOO", "DOCO", "DCTO", "SFXO"'
        for key in _random_rows(store, factory, "F4301", key_columns, request.updated_purchase_orders):
            where = '"KCOO" = ? AND "DOCO" = ? AND "DCTO" = ? AND "SFXO" = ?'
            conn.execute(
                f'UPDATE "F4301" SET "RMK" = ?, "USER" = ?, "JOBN" = ?, "UPMJ" = ?, "TDAY" = ? WHERE {where}',
                ("Changed by buyer", *user.values(), *stamp, *key),
            )
            line = conn.execute(
                f'SELECT "LNID", "PRRC" FROM "F4311" WHERE {where} AND "NXTR" <> \'999\' '
                'ORDER BY "LNID" LIMIT 1',
                key,
            ).fetchone()
            if line is not None:
                quantity = rng.randint(1, 300)
                conn.execute(
                    f'UPDATE "F4311" SET "UORG" = ?, "UOPN" = ?, "AEXP" = ?, "AOPN" = ?, '
                    f'"USER" = ?, "JOBN" = ?, '
                    f'"UPMJ" = ?, "TDAY" = ? WHERE {where} AND "LNID" = ?',
                    (
                        quantity,
                        quantity,
                        round(quantity * line[1] / 100),
                        round(quantity * line[1] / 100),
                        *user.values(),
                        *stamp,
                        *key,
                        line[0],
                    ),
                )
            updated_orders.append(dict(zip(("KCOO", "DOCO", "DCTO", "SFXO"), key, strict=True)))
        report["updated_purchase_orders"] = updated_orders

        new_vouchers = []
        batch = store.next_number("F0411", "ICU", floor=50_000)
        for _ in range(request.new_vouchers):
            doc = store.next_number("F0411", "DOC", floor=10_000)
            supplier = rng.choice(factory.suppliers)
            rows = factory.voucher(doc, batch, supplier, None, stamp, invoice_date=now.date())
            store.insert("F0411", rows, connection=conn)
            store.insert("F0911", factory.voucher_distribution(rows), connection=conn)
            new_vouchers.append({"KCO": rows[0]["KCO"], "DOC": doc, "DCT": "PV", "pay_items": len(rows)})
        report["new_vouchers"] = new_vouchers

        updated_vouchers = []
        for kco, doc, dct, sfx, status in _random_rows(
            store, factory, "F0411", '"KCO", "DOC", "DCT", "SFX", "PST"', request.updated_vouchers
        ):
            new_status = {"A": "H", "H": "A"}.get(status, status)
            conn.execute(
                'UPDATE "F0411" SET "PST" = ?, "USER" = ?, "JOBN" = ?, "UPMJ" = ?, "UPMT" = ? '
                'WHERE "KCO" = ? AND "DOC" = ? AND "DCT" = ? AND "SFX" = ?',
                (new_status, *user.values(), *stamp, kco, doc, dct, sfx),
            )
            updated_vouchers.append({"KCO": kco, "DOC": doc, "DCT": dct, "SFX": sfx, "PST": new_status})
        report["updated_vouchers"] = updated_vouchers
    return report


_VOUCHER_COLUMNS = [column.alias for column in TABLES["F0411"].columns]


def _gl_date_messages(
    store: Store, periods: PeriodSettings, key: tuple[str, str, str]
) -> list[dict[str, Any]]:
    """The fiscal date edit on each distinct company and G/L date of one transaction (A/P, system 04)."""
    messages = []
    for company, julian in store.conn.execute(
        'SELECT DISTINCT "CO", "DGJ" FROM "F0411Z1" WHERE "EDUS" = ? AND "EDBT" = ? AND "EDTN" = ?', key
    ).fetchall():
        day = from_julian(julian)
        message = day and gl_date_edit(store.conn, periods, company, day, "ap", "F0411Z1.DGJ")
        if message:
            messages.append(message.as_dict())
    return messages


def _next_batch(store: Store) -> int:
    """A new batch number (JDE Next Numbers, one sequence for voucher and journal batches)."""
    return max(store.next_number(table, "ICU", floor=50_000) for table in ("F0411", "F0911"))


class _Refused(Exception):
    """A transaction the processor leaves unprocessed (EDSP 0), with the reason it gives."""


def _foreign_rate(store: Store, row: dict[str, Any]) -> tuple[Decimal, int, int]:
    """The rate a foreign transaction converts at (its CRR, else F0015 on its G/L date), its currency's
    decimals and the company's currency's decimals."""
    conn = store.conn
    code, company = row["CRCD"], row["CO"] or row["KCO"]
    decimals = currency_decimals(conn, code)
    if decimals is None:
        raise _Refused(f"currency code {code!r} is not in the Currency Codes table F0013")
    domestic = company_currency(conn, company)
    domestic_decimals = currency_decimals(conn, domestic) if domestic else None
    if domestic is None or domestic_decimals is None:
        raise _Refused(f"company {company} has no currency set up (F0010 CRCD)")
    if row["CRR"]:
        return from_stored(row["CRR"], RATE_DECIMALS), decimals, domestic_decimals
    day = from_julian(row["DGJ"])
    rate = exchange_rate(conn, code, domestic, day) if day else None
    if rate is None:
        raise _Refused(f"no exchange rate from {code} to {domestic} on or before the G/L date {day} (F0015)")
    return rate, decimals, domestic_decimals


def _foreign_voucher(
    store: Store, rows: list[dict[str, Any]], lines: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[tuple[int, int]]]:
    """A foreign transaction's domestic side: each pay item's ``AG`` / ``AAP`` and each line's ``AA`` from
    the rate, the voucher's domestic gross converted once and both its pay items and its lines made to add up
    to it (the rounding difference on the largest). Returns the pay items' changes and, per line, (domestic
    ``AA``, foreign amount)."""
    rate, places, domestic_places = _foreign_rate(store, rows[0])
    gross = [from_stored(row["ACR"], places) for row in rows]
    distributed = [from_stored(line["ACR"], places) for line in lines]
    if sum(gross) != sum(distributed):
        raise _Refused(
            f"the distribution ({sum(distributed)} {rows[0]['CRCD']}) does not balance with the pay items "
            f"({sum(gross)} {rows[0]['CRCD']})"
        )
    total = convert(sum(gross, Decimal(0)), rate, domestic_places)
    items = allocate(total, gross, rate, domestic_places)
    shares = allocate(total, distributed, rate, domestic_places)
    stored_rate = to_stored(rate, RATE_DECIMALS)
    changes = [
        {"AG": to_stored(amount, 2), "AAP": to_stored(amount, 2), "FAP": row["ACR"], "CRR": stored_rate}
        for row, amount in zip(rows, items, strict=True)
    ]
    return changes, [(to_stored(share, 2), line["ACR"]) for share, line in zip(shares, lines, strict=True)]


def _posted_lines(line: dict[str, Any], domestic: int, foreign: int | None, **changes: Any) -> list[dict]:
    """The F0911 rows of one batch line: the ``AA`` ledger row (domestic), and for a foreign transaction
    the ``CA`` ledger row holding the amount in its currency (reference: F0911 holds domestic in AA, foreign
    in CA)."""
    posted = [ledger_from_batch(line, **{**changes, "AA": domestic})]
    if foreign is not None:
        posted.append(ledger_from_batch(line, **{**changes, "AA": foreign, "LT": "CA"}))
    return posted


def _posted(
    lines: list[dict[str, Any]],
    amounts: list[tuple[int, int | None]],
    program: str,
    document: tuple[int, int, int, int],
    **changes: Any,
) -> list[dict]:
    """The F0911 rows a batch processor (``program``) posts for one transaction's ``lines`` with their
    (domestic, foreign) ``amounts``, as ``document`` (DOC, batch ICU, Julian day, time of day) with
    ``changes``."""
    doc, batch, today, time_of_day = document
    stamp = {"DOC": doc, "ICU": batch, "DICJ": today, "DSYJ": today, "UPMJ": today, "UPMT": time_of_day}
    return [
        row
        for line, (domestic, foreign) in zip(lines, amounts, strict=True)
        for row in _posted_lines(line, domestic, foreign, **changes, **stamp, POST="", PID=program)
    ]


def purge_processed_vouchers(store: Store) -> dict[str, Any]:
    """R0411Z1P (Processed Batch Voucher Purge): every processed (EDSP 1) voucher transaction deleted from
    F0411Z1 with its F0911Z1 distribution; unprocessed ones stay. F0411 and F0911 are untouched: the
    vouchers R04110ZA made keep what they carry (supplier, invoice number, company, remark)."""
    with store.transaction() as conn:
        keys = conn.execute(
            'SELECT DISTINCT "EDUS", "EDBT", "EDTN" FROM "F0411Z1" WHERE "EDSP" = \'1\' ORDER BY 1, 2, 3'
        ).fetchall()
        for key in keys:
            _delete_transaction(conn, tuple(key))
    return {"purged": [{"EDUS": u, "EDBT": b, "EDTN": t} for u, b, t in keys]}


def _delete_transaction(conn: Any, key: tuple[str, str, str]) -> None:
    for table in ("F0411Z1", "F0911Z1"):
        conn.execute(f'DELETE FROM "{table}" WHERE "EDUS" = ? AND "EDBT" = ? AND "EDTN" = ?', key)


def process_voucher_batches(
    store: Store, now: dt.datetime, periods: PeriodSettings, *, purge: bool = False
) -> dict[str, Any]:
    """R04110ZA: unprocessed F0411Z1 transactions -> F0411 vouchers (new DOC, one new batch ICU), and
    each transaction's F0911Z1 distribution -> F0911 lines under the same DOC, batch and stamp.

    A foreign transaction (CRRM F, amounts in ACR) gets its domestic side here: the rate is its CRR, else
    F0015's on its G/L date; without one it is rejected and stays unprocessed, like a transaction the
    fiscal date edit refuses (its messages beside it). Warnings are listed in ``warnings`` (what the Work
    Center would show) and do not stop it. The purchase order reference (PKCO / PO / PDCT) is kept on F0411
    and on every F0911 line. ``purge`` plays the processing option "purge processed transactions": a
    transaction made a voucher leaves F0411Z1 and F0911Z1 altogether instead of staying as EDSP 1."""
    today, time_of_day = to_julian(now.date()), to_hhmmss(now)
    processed, rejected, warnings = [], [], []
    with store.transaction() as conn:
        transactions = conn.execute(
            'SELECT DISTINCT "EDUS", "EDBT", "EDTN" FROM "F0411Z1" WHERE "EDSP" <> \'1\' ORDER BY 1, 2, 3'
        ).fetchall()
        batch = _next_batch(store)
        for edus, edbt, edtn in transactions:
            key = (edus, edbt, edtn)
            # The processor refuses a transaction number that already became a voucher.
            if conn.execute(
                'SELECT 1 FROM "F0411Z1" WHERE "EDTN" = ? AND "EDSP" = \'1\' LIMIT 1', (edtn,)
            ).fetchone():
                rejected.append(
                    {"EDUS": edus, "EDBT": edbt, "EDTN": edtn, "reason": "EDTN already processed"}
                )
                continue
            messages = _gl_date_messages(store, periods, key)
            transaction = {"EDUS": edus, "EDBT": edbt, "EDTN": edtn}
            errors = [message for message in messages if message["error"]]
            if errors:
                reason = "; ".join(message["text"] for message in errors)
                rejected.append({**transaction, "reason": reason, "messages": errors})
                continue
            rows = store.fetch_dicts(
                'SELECT * FROM "F0411Z1" WHERE "EDUS" = ? AND "EDBT" = ? AND "EDTN" = ? ORDER BY "EDLN"', key
            )
            distribution = store.fetch_dicts(
                'SELECT * FROM "F0911Z1" WHERE "EDUS" = ? AND "EDBT" = ? AND "EDTN" = ? ORDER BY "EDLN"', key
            )
            item_changes: list[dict[str, Any]] = [{} for _ in rows]
            line_amounts: list[tuple[int, int | None]] = [(line["AA"], None) for line in distribution]
            if rows[0]["CRRM"] == "F":
                try:
                    item_changes, foreign_lines = _foreign_voucher(store, rows, distribution)
                except _Refused as refused:
                    rejected.append({**transaction, "reason": str(refused)})
                    continue
                line_amounts = list(foreign_lines)
            warnings.extend({**transaction, **message} for message in messages)
            doc = store.next_number("F0411", "DOC", floor=10_000)
            vouchers = [
                {
                    **{alias: row[alias] for alias in _VOUCHER_COLUMNS if alias in row},
                    **changes,
                    "DOC": doc,
                    "ICU": batch,
                    "DICJ": today,
                    "BALJ": "Y",
                    "POST": "",
                    "PID": "R04110ZA",
                    "UPMJ": today,
                    "UPMT": time_of_day,
                }
                for row, changes in zip(rows, item_changes, strict=True)
            ]
            store.insert("F0411", vouchers, connection=conn)
            order = {alias: vouchers[0][alias] for alias in ("PO", "PKCO", "PDCT") if alias in vouchers[0]}
            rate = {"CRR": vouchers[0]["CRR"]} if rows[0]["CRRM"] == "F" else {}
            posted = _posted(
                distribution, line_amounts, "R04110ZA", (doc, batch, today, time_of_day), **order, **rate
            )
            store.insert("F0911", posted, connection=conn)
            for table in ("F0411Z1", "F0911Z1"):
                conn.execute(
                    f'UPDATE "{table}" SET "EDSP" = \'1\', "DOC" = ?, "ICU" = ?, "UPMJ" = ?, "UPMT" = ? '
                    'WHERE "EDUS" = ? AND "EDBT" = ? AND "EDTN" = ?',
                    (doc, batch, today, time_of_day, *key),
                )
            if purge:
                _delete_transaction(conn, key)
            processed.append({"EDUS": edus, "EDBT": edbt, "EDTN": edtn, "DOC": doc, "ICU": batch})
    return {"processed": processed, "rejected": rejected, "warnings": warnings}


def _journal_amounts(
    store: Store, lines: list[dict[str, Any]]
) -> tuple[list[tuple[int, int | None]], dict[str, int]]:
    """Per journal line, (domestic ``AA``, foreign amount or None), and the rate the lines carry: a foreign
    entry's lines converted at its rate and made to balance to zero in the company's currency too (the
    rounding on the largest line)."""
    if lines[0]["CRRM"] != "F":
        return [(line["AA"], None) for line in lines], {}
    rate, places, domestic_places = _foreign_rate(store, lines[0])
    foreign = [from_stored(line["ACR"], places) for line in lines]
    if sum(foreign) != 0:
        raise _Refused(f"the entry does not balance: its lines sum to {sum(foreign)} {lines[0]['CRCD']}")
    shares = allocate(Decimal(0), foreign, rate, domestic_places)
    amounts = [(to_stored(share, 2), line["ACR"]) for share, line in zip(shares, lines, strict=True)]
    return amounts, {"CRR": to_stored(rate, RATE_DECIMALS)}


def process_journal_batches(
    store: Store, now: dt.datetime, periods: PeriodSettings, *, purge: bool = False
) -> dict[str, Any]:
    """R09110Z, the journal entry batch processor: unprocessed F0911Z1 journal entries (EDTR J, written by
    ML_CreateJournalBatch) -> F0911 lines under a new document number of their type and one new batch.

    A foreign entry's lines get their domestic ``AA`` from the rate (its CRR, else F0015 on its G/L date)
    and balance in both currencies; each line also posts a ``CA`` ledger row with its foreign amount. The
    G/L fiscal date edit (system 09) applies; an error, or a missing rate, leaves the entry unprocessed.
    ``purge`` plays the processing option "purge processed transactions": a posted entry's F0911Z1 rows go."""
    today, time_of_day = to_julian(now.date()), to_hhmmss(now)
    processed, rejected, warnings = [], [], []
    with store.transaction() as conn:
        entries = conn.execute(
            'SELECT DISTINCT "EDUS", "EDBT", "EDTN" FROM "F0911Z1" WHERE "EDSP" <> \'1\' AND "EDTR" = \'J\' '
            "ORDER BY 1, 2, 3"
        ).fetchall()
        batch = _next_batch(store)
        for key in entries:
            entry = dict(zip(("EDUS", "EDBT", "EDTN"), key, strict=True))
            lines = store.fetch_dicts(
                'SELECT * FROM "F0911Z1" WHERE "EDUS" = ? AND "EDBT" = ? AND "EDTN" = ? ORDER BY "EDLN"', key
            )
            day = from_julian(lines[0]["DGJ"])
            message = day and gl_date_edit(conn, periods, lines[0]["KCO"], day, "gl", "F0911Z1.DGJ")
            if message and message.error:
                rejected.append({**entry, "reason": message.text, "messages": [message.as_dict()]})
                continue
            try:
                amounts, rate = _journal_amounts(store, lines)
            except _Refused as refused:
                rejected.append({**entry, "reason": str(refused)})
                continue
            if message:
                warnings.append({**entry, **message.as_dict()})
            kind = lines[0]["DCT"]
            highest = conn.execute('SELECT MAX("DOC") FROM "F0911" WHERE "DCT" = ?', (kind,)).fetchone()[0]
            doc = int(highest or 0) + 1
            posted = _posted(lines, amounts, "R09110Z", (doc, batch, today, time_of_day), **rate)
            store.insert("F0911", posted, connection=conn)
            conn.execute(
                'UPDATE "F0911Z1" SET "EDSP" = \'1\', "DOC" = ?, "ICU" = ?, "UPMJ" = ?, "UPMT" = ? '
                'WHERE "EDUS" = ? AND "EDBT" = ? AND "EDTN" = ?',
                (doc, batch, today, time_of_day, *key),
            )
            if purge:
                conn.execute('DELETE FROM "F0911Z1" WHERE "EDUS" = ? AND "EDBT" = ? AND "EDTN" = ?', key)
            processed.append({**entry, "DOC": doc, "DCT": kind, "ICU": batch})
    return {"processed": processed, "rejected": rejected, "warnings": warnings}
