"""ML_AddUpdateSupplier v1.1: a supplier's mailing address, phone, e-mail and bank account.

Not from the reference (which documents none of these tables): general JDE knowledge of what the address
book programs write. The mailing address is F0116 Address by Date, one row per effective date (``EFTB``):
a changed address is a new row effective today, so the history of where a supplier was stays (a row
already effective today is corrected in place). The phone is the F0115 row of who's who line 0 (the
supplier itself) with a blank phone type (business phone); the e-mail the F01151 row of line 0 with
electronic address type ``E``; the bank account the F0030 row with record type ``V`` for the supplier's
address number. Each is written only when it changes, stamped with UPMJ/UPMT, so an incremental reader
sees exactly the tables that changed. Blank inputs leave a value unchanged.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from .store import Store

ADDRESS_INPUTS = {
    "Address_Line_1": "ADD1",
    "Address_Line_2": "ADD2",
    "Address_Line_3": "ADD3",
    "Address_Line_4": "ADD4",
    "City": "CTY1",
    "State": "ADDS",
    "Postal_Code": "ADDZ",
    "Country": "CTR",
}
BANK_INPUTS = {"Bank_Transit_Number": "TNST", "Bank_Account_Number": "CBNK"}
# The programs whose IDs the rows carry (PID): Address by Date, Phone Numbers, Electronic Addresses, Bank
# Account Cross-Reference.
ADDRESS_PROGRAM, PHONE_PROGRAM, EMAIL_PROGRAM, BANK_PROGRAM = "P01012", "P0115", "P01111", "P0030A"

Audit = Callable[[str], dict[str, Any]]


class DetailError(ValueError):
    """An input combination the orchestration refuses (59A0); the message names the input."""


def check_detail_inputs(inputs: dict[str, Any]) -> None:
    """Refuse what cannot be written before anything is: an area code without the number it belongs to."""
    if inputs.get("Phone_Area_Code") is not None and inputs.get("Phone_Number") is None:
        raise DetailError(
            "Input 'Phone_Area_Code' needs Phone_Number: the area code and number are one phone number"
        )


def write_supplier_details(
    store: Store, conn: sqlite3.Connection, an8: int, inputs: dict[str, Any], today: int, audit: Audit
) -> list[str]:
    """Write ``an8``'s address / phone / e-mail / bank inputs (``today`` as Julian); the tables changed."""
    changed = []
    if _address(store, conn, an8, inputs, today, audit):
        changed.append("F0116")
    if _phone(store, conn, an8, inputs, audit):
        changed.append("F0115")
    if _email(store, conn, an8, inputs, audit):
        changed.append("F01151")
    if _bank(store, conn, an8, inputs, audit):
        changed.append("F0030")
    return changed


def _row(conn: sqlite3.Connection, sql: str, params: tuple) -> dict[str, Any] | None:
    cursor = conn.execute(sql, params)
    found = cursor.fetchone()
    if found is None:
        return None
    return dict(zip([d[0] for d in cursor.description], found, strict=True))


def _set(conn: sqlite3.Connection, table: str, changes: dict[str, Any], where: dict[str, Any]) -> None:
    assignments = ", ".join(f'"{column}" = ?' for column in changes)
    condition = " AND ".join(f'"{column}" = ?' for column in where)
    conn.execute(
        f'UPDATE "{table}" SET {assignments} WHERE {condition}', (*changes.values(), *where.values())
    )


def _address(
    store: Store, conn: sqlite3.Connection, an8: int, inputs: dict[str, Any], today: int, audit: Audit
) -> bool:
    given = {column: inputs.get(name) for name, column in ADDRESS_INPUTS.items()}
    if all(value is None for value in given.values()):
        return False
    # In effect: the latest effective date not after today (0 = always); a future row is not touched.
    current = _row(
        conn,
        'SELECT * FROM "F0116" WHERE "AN8" = ? AND "EFTB" <= ? ORDER BY "EFTB" DESC LIMIT 1',
        (an8, today),
    )
    wanted = {
        column: value if value is not None else (current or {}).get(column, "")
        for column, value in given.items()
    }
    if current is not None and all(current[column] == wanted[column] for column in wanted):
        return False
    if current is not None and current["EFTB"] == today:
        _set(conn, "F0116", {**wanted, **audit(ADDRESS_PROGRAM)}, {"AN8": an8, "EFTB": today})
    else:
        carried = {"ADD1", "ADD2", "ADD3", "ADD4", "ADDZ", "CTY1", "COUN", "ADDS", "CTR"}
        kept = {column: current[column] for column in carried} if current else {}
        row = {**kept, **wanted, "AN8": an8, "EFTB": today, **audit(ADDRESS_PROGRAM)}
        store.insert("F0116", [row], connection=conn)
    return True


def _next_line(conn: sqlite3.Connection, table: str, an8: int) -> int:
    found = conn.execute(
        f'SELECT COALESCE(MAX("RCK7"), 0) FROM "{table}" WHERE "AN8" = ? AND "IDLN" = 0', (an8,)
    ).fetchone()
    return int(found[0]) + 1


def _phone(store: Store, conn: sqlite3.Connection, an8: int, inputs: dict[str, Any], audit: Audit) -> bool:
    number = inputs.get("Phone_Number")
    if number is None:
        return False
    # The number sent is the whole phone number: an area code not sent is cleared, not kept.
    wanted = {"AR1": inputs.get("Phone_Area_Code") or "", "PH1": number}
    current = _row(
        conn,
        'SELECT * FROM "F0115" WHERE "AN8" = ? AND "IDLN" = 0 AND "PHTP" = \'\' ORDER BY "RCK7" LIMIT 1',
        (an8,),
    )
    if current is not None:
        if all(current[column] == value for column, value in wanted.items()):
            return False
        key = {"AN8": an8, "IDLN": 0, "RCK7": current["RCK7"]}
        _set(conn, "F0115", {**wanted, **audit(PHONE_PROGRAM)}, key)
        return True
    row = {"AN8": an8, "IDLN": 0, "RCK7": _next_line(conn, "F0115", an8), "PHTP": "", **wanted}
    store.insert("F0115", [{**row, **audit(PHONE_PROGRAM)}], connection=conn)
    return True


def _email(store: Store, conn: sqlite3.Connection, an8: int, inputs: dict[str, Any], audit: Audit) -> bool:
    address = inputs.get("Email_Address")
    if address is None:
        return False
    current = _row(
        conn,
        'SELECT * FROM "F01151" WHERE "AN8" = ? AND "IDLN" = 0 AND "ETP" = \'E\' '
        'ORDER BY "EHIER" DESC, "RCK7" LIMIT 1',
        (an8,),
    )
    if current is not None:
        if current["EMAL"] == address:
            return False
        key = {"AN8": an8, "IDLN": 0, "RCK7": current["RCK7"]}
        _set(conn, "F01151", {"EMAL": address, **audit(EMAIL_PROGRAM)}, key)
        return True
    row = {"AN8": an8, "IDLN": 0, "RCK7": _next_line(conn, "F01151", an8), "ETP": "E", "EHIER": 1}
    store.insert("F01151", [{**row, "EMAL": address, **audit(EMAIL_PROGRAM)}], connection=conn)
    return True


def _bank(store: Store, conn: sqlite3.Connection, an8: int, inputs: dict[str, Any], audit: Audit) -> bool:
    given = {column: inputs.get(name) for name, column in BANK_INPUTS.items()}
    given = {column: value for column, value in given.items() if value is not None}
    if not given:
        return False
    current = _row(
        conn, 'SELECT * FROM "F0030" WHERE "AN8" = ? AND "BKTP" = \'V\' ORDER BY "UKID" LIMIT 1', (an8,)
    )
    if current is not None:
        if all(current[column] == value for column, value in given.items()):
            return False
        _set(conn, "F0030", {**given, **audit(BANK_PROGRAM)}, {"UKID": current["UKID"]})
        return True
    ukid = store.next_number("F0030", "UKID")
    store.insert(
        "F0030", [{"UKID": ukid, "BKTP": "V", "AN8": an8, **given, **audit(BANK_PROGRAM)}], connection=conn
    )
    return True
