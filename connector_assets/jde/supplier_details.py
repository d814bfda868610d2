"""A supplier's contact and bank details as ``ML_AddUpdateSupplier`` v1.1 writes them (F0116 address in
effect, F0115, F01151, F0030; the last three are not in the AIS reference), read one call per table per 100
address numbers, optional tables only while their setting is on. ``changed_at`` (newer wins: docs/
integrations/procore_jde.md) leaves F0030 out on purpose: bank details are not sent, so a bank change must
not make JDE "win". Bank fields are secrets: never in ``repr``, every value read registered for redaction.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from connector_assets.jde.documents import addresses_in_effect
from connector_assets.jde.extract import jde_timezone
from connector_assets.jde.lookup import browse_in
from connector_assets.jde.tables import ADDRESS_BOOK, SUPPLIER_ADDRESSES, SUPPLIERS
from connector_resources.jde import JdeAllowlistError, JdeAuthError, jde_datetime, optional_tables
from connector_resources.jde.session import JdeSession
from connector_resources.redaction import register_secret

# Not in the reference: general JDE knowledge (see the module docstring). Names for ``FlowSpec.reads``.
PHONE_TABLE = "F0115"
EMAIL_TABLE = "F01151"
BANK_TABLE = "F0030"
# A supplier's contact details (address, phone, e-mail): what every "JDE supplier -> X" flow reads of them.
CONTACT_TABLES = (SUPPLIER_ADDRESSES.table, PHONE_TABLE, EMAIL_TABLE)
# The staged assets a "JDE supplier -> X" flow maps from: the day's changed F0401, F0101 and F0116 rows.
SUPPLIER_SOURCES = (SUPPLIERS.asset, ADDRESS_BOOK.asset, SUPPLIER_ADDRESSES.asset)

# What each table is, in the words an operator reads in a refusal.
_TITLES = {
    ADDRESS_BOOK.table: "Address Book Master: supplier names",
    SUPPLIERS.table: "Supplier Master",
    SUPPLIER_ADDRESSES.table: "Address by Date: supplier mailing addresses",
    PHONE_TABLE: "Contact Phone Numbers: supplier phones",
    EMAIL_TABLE: "Electronic Address: supplier e-mail addresses",
    BANK_TABLE: "Bank Transit Master: supplier bank accounts",
}
_KEYS = {
    PHONE_TABLE: ["AN8", "IDLN", "RCK7"],
    EMAIL_TABLE: ["AN8", "IDLN", "RCK7"],
    BANK_TABLE: ["UKID"],
}
_STAMP = ["AN8", "UPMJ", "UPMT"]
_PHONE_COLUMNS = ["AN8", "IDLN", "RCK7", "PHTP", "AR1", "PH1", "UPMJ", "UPMT"]
_EMAIL_COLUMNS = ["AN8", "IDLN", "RCK7", "ETP", "EMAL", "EHIER", "UPMJ", "UPMT"]
_BANK_COLUMNS = ["UKID", "BKTP", "AN8", "TNST", "CBNK"]


@dataclass(frozen=True)
class SupplierDetails:
    """One supplier's mailing address in effect, business phone, e-mail and bank account ("" when JDE
    holds none), and ``changed_at``: when JDE last changed any of them or the supplier's F0101 / F0401 row
    (UTC; None when no row carries a stamp). The bank fields never show in ``repr``."""

    number: int  # AN8
    address_lines: tuple[str, str, str, str] = ("", "", "", "")
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = ""
    address_effective: date | None = None  # F0116 EFTB of the row in effect (None: blank, or no address)
    phone_area_code: str = ""
    phone_number: str = ""
    email: str = ""
    changed_at: datetime | None = None
    bank_transit_number: str = field(default="", repr=False)
    bank_account_number: str = field(default="", repr=False)

    @property
    def phone(self) -> str:
        """The phone as one value: area code (F0115 AR1) and number (PH1)."""
        return " ".join(part for part in (self.phone_area_code, self.phone_number) if part)

    @property
    def has_bank_account(self) -> bool:
        return bool(self.bank_transit_number or self.bank_account_number)


class _Refused:
    """Turns the JDE client's 405 / 403 on one table into an error that names the table and what to do."""

    def __init__(self, table: str) -> None:
        self.table = table

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        title = _TITLES.get(self.table, self.table)
        what = f"read {self.table} ({title}) for the supplier details"
        optional = ""
        if self.table in optional_tables.OPTIONAL_TABLES:
            optional = f" Or {optional_tables.OPTIONAL_TABLES[self.table].advice()}."
        if self.table == BANK_TABLE:
            optional = (
                " Or leave bank fields out of the sync (ML_PROCORE_JDE_VENDOR_BANK_FIELDS blank), so F0030 "
                "is not read."
            )
        if isinstance(exc, JdeAllowlistError):
            raise JdeAllowlistError(
                f"JD Edwards AIS answered HTTP 405 when asked to {what}. When other tables read fine, the "
                f"AIS server's allowlist refuses {self.table}: ask the JDE administrator to allow the "
                f"integration user to read {self.table} through the data service; otherwise add this "
                f"connector's egress IP address to the AIS server's allowedHosts.{optional} Retrying will "
                f"not help until then. ({exc})",
                status=405,
            ) from None
        if isinstance(exc, JdeAuthError):
            raise JdeAuthError(
                f"JD Edwards refused to let the integration user {what} (HTTP {exc.status}): ask the JDE "
                f"administrator to grant it data-service read access to {self.table} (Security Workbench)."
                f"{optional} ({exc})",
                status=exc.status,
            ) from None


def contact_reads() -> tuple[str, ...]:
    """``FlowSpec.reads["JDE"]`` of a flow sending JDE suppliers' contact details: F0116 / F0115 / F01151,
    each only while its setting is on (``optional_tables``: ping probes them all). F0116 is staged outside
    ``JDE_TABLES``, so ping learns of it here; F0401 / F0101 come from the lineage."""
    return optional_tables.read(CONTACT_TABLES)


def _rows(
    session: JdeSession, table: str, an8s: Sequence[int], columns: list[str]
) -> Iterator[dict[str, Any]]:
    """``table``'s rows of ``an8s`` (``browse_in``); a refusal names the table."""
    with _Refused(table):
        yield from browse_in(session, table, "AN8", an8s, columns, key_columns=_KEYS.get(table))


def _number(value: object) -> int | None:
    text = str(value if value is not None else "").strip()
    return int(text) if text.lstrip("-").isdigit() else None


def _text(row: Mapping[str, object] | None, alias: str) -> str:
    value = (row or {}).get(alias)
    return "" if value is None else str(value).strip()


def _stamp(row: dict[str, Any]) -> datetime | None:
    """UPMJ + UPMT (server time, ``ML_JDE_TIMEZONE``) as an aware UTC datetime."""
    day = row.get("UPMJ")
    if not isinstance(day, date):
        return None
    moment = jde_datetime(day, row.get("UPMT"))
    return moment.replace(tzinfo=jde_timezone()).astimezone(UTC) if moment else None


def _first(rows: list[dict[str, Any]], order: Any) -> dict[str, Any] | None:
    return min(rows, key=order) if rows else None


def supplier_details(
    session: Any, an8s: list[int], *, bank: bool = True, today: date | None = None
) -> dict[int, SupplierDetails]:
    """The details of each of ``an8s`` in JDE's address book (F0101), by address number. ``bank``: read F0030
    too (else never asked, for a JDE that refuses it). The phone is the business phone (F0115 who's who
    line 0, phone type blank, first line); the e-mail the primary one (F01151 line 0, type E, messaging
    indicator 1 first); the bank account the supplier's (F0030 record type V, first UKID)."""
    wanted = sorted(set(an8s))
    if not wanted:
        return {}
    stamps: dict[int, list[datetime]] = {}

    def stamped(rows: Iterator[dict[str, object]]) -> list[dict[str, Any]]:
        out = []
        for row in rows:
            an8 = _number(row.get("AN8"))
            if an8 is None:
                continue
            moment = _stamp(row)
            if moment is not None:
                stamps.setdefault(an8, []).append(moment)
            out.append({**row, "AN8": an8})
        return out

    book = {row["AN8"] for row in stamped(_rows(session, ADDRESS_BOOK.table, wanted, _STAMP))}
    found = [an8 for an8 in wanted if an8 in book]
    if not found:
        return {}
    stamped(_rows(session, SUPPLIERS.table, found, _STAMP))
    mailing: dict[int, dict[str, Any]] = {}
    if optional_tables.enabled(SUPPLIER_ADDRESSES.table):  # off: never asked for (see optional_tables)
        stamped(_rows(session, SUPPLIER_ADDRESSES.table, found, ["AN8", "EFTB", *_STAMP[1:]]))
        with _Refused(SUPPLIER_ADDRESSES.table):
            mailing = addresses_in_effect(session, found, today)
    phones, emails = [], []
    if optional_tables.enabled(PHONE_TABLE):
        phones = [r for r in _rows(session, PHONE_TABLE, found, _PHONE_COLUMNS) if _line_zero(r)]
    if optional_tables.enabled(EMAIL_TABLE):
        emails = [r for r in _rows(session, EMAIL_TABLE, found, _EMAIL_COLUMNS) if _line_zero(r)]
    phones, emails = stamped(iter(phones)), stamped(iter(emails))
    banks: list[dict[str, Any]] = []
    if bank:
        for row in _rows(session, BANK_TABLE, found, _BANK_COLUMNS):
            if _text(row, "BKTP") == "V" and _number(row.get("AN8")) is not None:
                banks.append({**row, "AN8": _number(row.get("AN8"))})
    out = {}
    for an8 in found:
        phone = _first(
            [r for r in phones if r["AN8"] == an8 and not _text(r, "PHTP")],
            lambda r: _number(r.get("RCK7")) or 0,
        )
        email = _first(
            [r for r in emails if r["AN8"] == an8 and _text(r, "ETP") == "E"],
            lambda r: (-(_number(r.get("EHIER")) or 0), _number(r.get("RCK7")) or 0),
        )
        account = _first([r for r in banks if r["AN8"] == an8], lambda r: _number(r.get("UKID")) or 0)
        transit, number = _text(account, "TNST"), _text(account, "CBNK")
        register_secret(transit)
        register_secret(number)
        address = mailing.get(an8)
        out[an8] = SupplierDetails(
            number=an8,
            address_lines=(
                _text(address, "ADD1"),
                _text(address, "ADD2"),
                _text(address, "ADD3"),
                _text(address, "ADD4"),
            ),
            city=_text(address, "CTY1"),
            state=_text(address, "ADDS"),
            postal_code=_text(address, "ADDZ"),
            country=_text(address, "CTR"),
            address_effective=(address or {}).get("EFTB"),
            phone_area_code=_text(phone, "AR1"),
            phone_number=_text(phone, "PH1"),
            email=_text(email, "EMAL"),
            changed_at=max(stamps.get(an8, []), default=None),
            bank_transit_number=transit,
            bank_account_number=number,
        )
    return out


def _line_zero(row: Mapping[str, object]) -> bool:
    """Who's who line 0: the supplier itself, not one of its contact people."""
    return (_number(row.get("IDLN")) or 0) == 0
