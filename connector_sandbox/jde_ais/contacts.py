"""Seeds a supplier's phone (F0115), e-mail (F01151) and bank account (F0030).

Not from the reference (which documents none of these tables): general JDE knowledge, reduced to the
columns ML_AddUpdateSupplier v1.1 writes (see ``supplier_details.py``). What the seed holds, so a reader
meets each case at every scale:

- about two suppliers in three have a business phone (who's who line 0, phone type blank), some with an
  area code in AR1, some with a fax (phone type FAX) beside it, which is not the business phone;
- about one in two has an e-mail address (electronic address type E), a few a second, non-primary one;
- about one in three has a bank account (record type V), entered with the supplier;
- everything is stamped with the supplier's own F0101 stamp (entered with its address-book record).

Everything is drawn from its own generator, so adding these tables left every other seeded value as it was.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from .factory import SupplierRef
from .store import Store

_DOMAINS = ("example.com", "example.org", "example.net")


def _audit(program: str, stamp: tuple[int, int]) -> dict[str, object]:
    return {"USER": "JSMITH", "PID": program, "JOBN": "WS100", "UPMJ": stamp[0], "UPMT": stamp[1]}


def _digits(rng: random.Random, count: int) -> str:
    return "".join(str(rng.randint(0, 9)) for _ in range(count))


def seed_contacts(store: Store, suppliers: Sequence[SupplierRef], rng: random.Random) -> None:
    """F0115 / F01151 / F0030 rows for some of ``suppliers`` (deterministic for ``rng``'s seed)."""
    query = 'SELECT "AN8", "UPMJ", "UPMT" FROM "F0101" WHERE "AT1" = \'V\''
    stamps = {an8: (upmj, upmt) for an8, upmj, upmt in store.conn.execute(query)}
    phones: list[dict[str, object]] = []
    emails: list[dict[str, object]] = []
    banks: list[dict[str, object]] = []
    ukid = store.next_number("F0030", "UKID")
    for ref in suppliers:
        stamp = stamps[ref.an8]
        phone, email, bank = _audit("P0115", stamp), _audit("P01111", stamp), _audit("P0030A", stamp)
        if rng.random() < 2 / 3:
            area = _digits(rng, 3) if rng.random() < 0.5 else ""
            number = (
                f"{_digits(rng, 3)}-{_digits(rng, 4)}" if area else f"+1 {_digits(rng, 3)} {_digits(rng, 7)}"
            )
            row = {"AN8": ref.an8, "IDLN": 0, "RCK7": 1, "PHTP": "", "AR1": area, "PH1": number, **phone}
            phones.append(row)
            if rng.random() < 0.2:
                phones.append({**row, "RCK7": 2, "PHTP": "FAX", "PH1": _digits(rng, 7)})
        if rng.random() < 0.5:
            user = rng.choice(("ap", "billing", "accounts", "office"))
            domain = f"supplier{ref.an8}.{rng.choice(_DOMAINS)}"
            address = f"{user}@{domain}"
            row = {"AN8": ref.an8, "IDLN": 0, "RCK7": 1, "ETP": "E", "EHIER": 1, "EMAL": address, **email}
            emails.append(row)
            if rng.random() < 0.1:
                other = {**row, "RCK7": 2, "EHIER": 0, "EMAL": f"sales@{domain}"}
                emails.append(other)
        if rng.random() < 1 / 3:
            transit, account = _digits(rng, 9), _digits(rng, rng.randint(8, 12))
            banks.append(
                {"UKID": ukid, "BKTP": "V", "AN8": ref.an8, "TNST": transit, "CBNK": account, **bank}
            )
            ukid += 1
    with store.transaction() as conn:
        store.insert("F0115", phones, connection=conn)
        store.insert("F01151", emails, connection=conn)
        store.insert("F0030", banks, connection=conn)
