"""What an A/P clerk does to vouchers at E1 screens no orchestration drives (operator routes, not AIS).

The reference names the programs and the columns: P0411Z1, the batch voucher revisions program, works on
F0411Z1 transactions until R04110ZA processed them ("cannot edit processed rows"); F0411 carries the void
flag ``VOD`` and the open amount ``AAP``. A test plays the clerk so a reconciliation meets a voucher that
is gone or voided behind the integration's back:

* ``delete_batch_transaction``: P0411Z1 deletes an unprocessed transaction, its F0411Z1 pay items and its
  F0911Z1 distribution (a processed one is refused, as the reference says);
* ``void_voucher``: P0411 voids a voucher: every pay item gets ``VOD`` ``V`` and nothing open (``AAP`` 0),
  stamped with the clerk and today. The reference does not say how a void shows in F0411; this is the
  sandbox's reading of its void flag. A paid voucher (pay status ``P``) is refused: its payment is voided
  first. The reversing F0911 entries a real void posts are not simulated.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict

from connector_sandbox.admin import Refused

from .dates import to_hhmmss, to_julian
from .store import Store

CLERK = {"USER": "APCLERK", "JOBN": "WS204"}
VOIDED = "V"  # F0411 VOD of a voided pay item


class BatchTransaction(BaseModel):
    """``POST /sandbox/vouchers/batch/delete``: the F0411Z1 transaction (EDI user, batch, transaction)."""

    model_config = ConfigDict(extra="forbid")
    EDUS: str
    EDBT: str
    EDTN: str


class VoucherKey(BaseModel):
    """``POST /sandbox/vouchers/void``: the F0411 voucher (document company, number, type)."""

    model_config = ConfigDict(extra="forbid")
    KCO: str
    DOC: int
    DCT: str = "PV"


def delete_batch_transaction(store: Store, key: BatchTransaction) -> dict[str, Any]:
    """P0411Z1's delete of one unprocessed transaction: its rows in F0411Z1 and F0911Z1 are gone."""
    where = '"EDUS" = ? AND "EDBT" = ? AND "EDTN" = ?'
    params = (key.EDUS, key.EDBT, key.EDTN)
    with store.transaction() as conn:
        states = {row[0] for row in conn.execute(f'SELECT "EDSP" FROM "F0411Z1" WHERE {where}', params)}
        if not states:
            raise Refused(f"no F0411Z1 transaction {key.EDUS}/{key.EDBT}/{key.EDTN}", 404)
        if "1" in states:
            raise Refused(
                f"transaction {key.EDUS}/{key.EDBT}/{key.EDTN} was processed by R04110ZA; P0411Z1 cannot "
                "change processed rows (void the voucher instead)"
            )
        pay_items = conn.execute(f'DELETE FROM "F0411Z1" WHERE {where}', params).rowcount
        distribution = conn.execute(f'DELETE FROM "F0911Z1" WHERE {where}', params).rowcount
    return {"deleted": {"F0411Z1": pay_items, "F0911Z1": distribution}}


def void_voucher(store: Store, key: VoucherKey, now: dt.datetime) -> dict[str, Any]:
    """P0411's void of one voucher: each pay item voided (``VOD`` V) with nothing left open."""
    where = '"KCO" = ? AND "DOC" = ? AND "DCT" = ?'
    params = (key.KCO, key.DOC, key.DCT)
    with store.transaction() as conn:
        items = conn.execute(f'SELECT "SFX", "PST", "VOD" FROM "F0411" WHERE {where}', params).fetchall()
        if not items:
            raise Refused(f"no F0411 voucher {key.KCO} {key.DOC} {key.DCT}", 404)
        if all(str(vod or "").strip() == VOIDED for _sfx, _pst, vod in items):
            raise Refused(f"voucher {key.KCO} {key.DOC} {key.DCT} is already voided")
        if any(str(pst or "").strip() == "P" for _sfx, pst, _vod in items):
            raise Refused(f"voucher {key.KCO} {key.DOC} {key.DCT} is paid: void its payment first")
        stamp = (to_julian(now.date()), to_hhmmss(now))
        conn.execute(
            'UPDATE "F0411" SET "VOD" = ?, "AAP" = 0, "PID" = \'P0411\', "USER" = ?, "JOBN" = ?, '
            f'"UPMJ" = ?, "UPMT" = ? WHERE {where}',
            (VOIDED, *CLERK.values(), *stamp, *params),
        )
    return {"voided": {"KCO": key.KCO, "DOC": key.DOC, "DCT": key.DCT, "pay_items": len(items)}}
