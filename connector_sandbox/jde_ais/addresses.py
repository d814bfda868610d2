"""Seeds F0116 Address by Date for the suppliers, and a few remit-to parties they send payments to.

Not from the reference (which documents no address table): general JDE knowledge. E1 keeps an address
number's mailing address in F0116, one row per effective date (``EFTB``); the row in effect is the one with
the latest effective date that is not in the future. The supplier master's send-to address (F0401 ``SNTO``)
names who payments go to: the supplier itself, or another address-book entry (a lockbox or factoring
company).

What the seed holds, so a reader meets each case at every scale:

- every supplier has the address it was set up with, entered with its address-book record (same UPMJ);
- about one in ten moved later: a second row, effective and entered on a later day;
- about one in thirty has a future address too (effective after the anchor day), not yet in effect;
- the maximum-length suppliers have 40-character address lines (F0116 ADD1 / ADD2 are A(40));
- about one in twelve sends payments to one of three remit-to parties (F0101 search type V, no F0401),
  each with an address of its own.

Everything is drawn from its own generator, so adding F0116 left every other seeded value as it was.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence

from connector_sandbox.seeding import fit

from .dates import from_julian, to_julian
from .factory import FILLER, SupplierRef, compress
from .store import Store

# (city, state, postal code) per country; F0116 CTR holds the ISO-2 country code (UDC 00/CN).
_PLACES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "US": (
        ("Portland", "OR", "97201"),
        ("Sacramento", "CA", "95814"),
        ("Denver", "CO", "80202"),
        ("Austin", "TX", "78701"),
        ("Chicago", "IL", "60601"),
        ("Seattle", "WA", "98101"),
    ),
    "DE": (
        ("München", "BY", "80331"),
        ("Hamburg", "HH", "20095"),
        ("Köln", "NW", "50667"),
        ("Garmisch-Partenkirchen", "BY", "82467"),
    ),
    "FR": (("Paris", "", "75008"), ("Lyon", "", "69002"), ("Marseille", "", "13001")),
    "CN": (("北京", "BJ", "100020"), ("上海", "SH", "200001"), ("广州", "GD", "510000")),
}
_STREETS = ("Quarry", "Harbor", "Mill", "Station", "Linden", "Birken", "Lilas", "Chang'an")
_REMIT_TO = (
    ("First Capital Factoring LLC", "US"),
    ("Riverbank Lockbox Services", "US"),
    ("Deutsche Factoring Bank AG", "DE"),
)


# How a street line reads in these countries; elsewhere "<number> <name> <St|Ave|Rd|Blvd>".
_STREET_FORMS = {"DE": "{name}straße {number}", "FR": "{number} rue des {name}", "CN": "{name}路{number}号"}


def _street(rng: random.Random, country: str) -> str:
    name, number = rng.choice(_STREETS), rng.randint(1, 4999)
    form = _STREET_FORMS.get(country)
    if form is None:
        return f"{number} {name} {rng.choice(('St', 'Ave', 'Rd', 'Blvd'))}"
    return form.format(name=name, number=number)


def address_row(
    rng: random.Random,
    an8: int,
    country: str,
    effective: dt.date,
    stamp: tuple[int, int],
    *,
    max_length: bool = False,
) -> dict[str, object]:
    """One F0116 row: ``an8``'s address in ``country`` from ``effective`` on, entered at ``stamp``."""
    city, state, postal = rng.choice(_PLACES.get(country, _PLACES["US"]))
    line1 = _street(rng, country)
    line2 = rng.choice(("", "", "", f"Suite {rng.randint(100, 999)}", "Dock 4"))
    if max_length:
        line1, line2 = fit(line1, 40, FILLER), fit("Warenannahme Tor 7", 40, FILLER)
        city = fit(city, 25, FILLER)
    return {
        "AN8": an8,
        "EFTB": to_julian(effective),
        "ADD1": line1,
        "ADD2": line2,
        "ADDZ": postal,
        "CTY1": city,
        "ADDS": state,
        "CTR": country,
        "USER": "JSMITH",
        "PID": "P01012",
        "JOBN": "WS100",
        "UPMJ": stamp[0],
        "UPMT": stamp[1],
    }


def seed_addresses(
    store: Store,
    suppliers: Sequence[SupplierRef],
    rng: random.Random,
    anchor: dt.date,
    max_length: Sequence[int] = (),
) -> None:
    """F0116 for every supplier in ``suppliers`` (``max_length``: their address numbers with 40-character
    lines), and the remit-to parties some of them send payments to (F0101 + F0116, F0401 SNTO)."""
    query = 'SELECT "AN8", "UPMJ", "UPMT" FROM "F0101" WHERE "AT1" = \'V\''
    stamps = {an8: (upmj, upmt) for an8, upmj, upmt in store.conn.execute(query)}
    rows: list[dict[str, object]] = []
    long_ones = set(max_length)
    for ref in suppliers:
        country = ref.company.country
        stamp = stamps[ref.an8]
        entered = from_julian(stamp[0]) or anchor
        rows.append(address_row(rng, ref.an8, country, entered, stamp, max_length=ref.an8 in long_ones))
        roll = rng.random()
        if roll < 0.10 and entered < anchor - dt.timedelta(days=2):
            moved = entered + dt.timedelta(days=rng.randint(1, (anchor - entered).days - 1))
            rows.append(address_row(rng, ref.an8, country, moved, (to_julian(moved), 100000)))
        elif roll < 0.13:
            future = anchor + dt.timedelta(days=rng.randint(10, 60))
            rows.append(address_row(rng, ref.an8, country, future, stamp))
    parties = _remit_to_parties(store, rng, anchor)
    rows.extend(row for _, row in parties)
    with store.transaction() as conn:
        store.insert("F0116", rows, connection=conn)
        for ref in suppliers:
            if rng.random() < 1 / 12:
                an8 = rng.choice(parties)[0]
                conn.execute('UPDATE "F0401" SET "SNTO" = ? WHERE "AN8" = ?', (an8, ref.an8))


def _remit_to_parties(
    store: Store, rng: random.Random, anchor: dt.date
) -> list[tuple[int, dict[str, object]]]:
    """The remit-to parties' address-book records (inserted here) and their F0116 rows (returned)."""
    first = store.next_number("F0101", "AN8")
    created = anchor - dt.timedelta(days=600)
    stamp = (to_julian(created), 90000)
    book, out = [], []
    for offset, (name, country) in enumerate(_REMIT_TO):
        an8 = first + offset
        book.append(
            {
                "AN8": an8,
                "ALPH": name,
                "DC": compress(name),
                "AT1": "V",
                "TAXC": "C",
                "ATP": "Y",
                "ATR": "N",
                "AC02": country,
                "USER": "JSMITH",
                "PID": "P01012",
                "JOBN": "WS100",
                "UPMJ": stamp[0],
                "UPMT": stamp[1],
            }
        )
        out.append((an8, address_row(rng, an8, country, created, stamp)))
    with store.transaction() as conn:
        store.insert("F0101", book, connection=conn)
    return out
