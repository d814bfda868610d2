"""JD Edwards refusals for a record JDE lacks, as holds on that record (``missing_records``): which codes name
one and what it is held on, docs/operations.md, "Refused for a record JDE lacks: held until it exists".

A mapper holds an account the cached F0901 lacks (``chart_account_missing``) only when it is of JDE's chart
(its business unit holds accounts, its object account is used somewhere: not set up yet for that unit);
one whose business unit or object the chart has nowhere is the mapping's invention, a refusal.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

from connector_assets.flows.replays import Resources
from connector_assets.flows.values import text
from connector_assets.jde.accounts import GlAccounts
from connector_assets.jde.lookup import browse_in
from connector_assets.jde.periods import company_currencies
from connector_assets.jde.supplier_reads import suppliers_among
from connector_resources.jde import Condition, JdeOrchestrationError
from connector_resources.jde.session import JdeSession
from connector_resources.missing_records import (
    AppearedCheck,
    MissingCheck,
    MissingKind,
    MissingRecord,
    held_reason,
    missing_checks,
    missing_kind,
)

SUPPLIER = missing_kind(
    "JDE", "supplier", "F0401", label="supplier", master="JDE's supplier master (F0401)",
    todo="set the supplier up in JDE (or sync it through the integration's suppliers flow), or correct the "
    "document's supplier in the source system",
)  # fmt: skip
ACCOUNT = missing_kind(
    "JDE", "account", "F0901", label="account", master="JDE's account master (F0901)",
    todo="add the account in JDE, or map the source account to an existing one (the integration's mapping "
    "table) and correct or replay the document",
)  # fmt: skip
ORDER = missing_kind(
    "JDE", "order", "F4301", label="purchase order", master="JDE's purchase order headers (F4301)",
    todo="enter or sync the order in JDE, or correct the order the document names",
)  # fmt: skip
ADDRESS = missing_kind(
    "JDE", "address", "F0101", label="address number", master="JDE's address book (F0101)",
    todo="add the address book entry in JDE, or correct the address number the record names",
)  # fmt: skip
BUSINESS_UNIT = missing_kind(
    "JDE", "business_unit", "F0006", label="business unit", master="JDE's business unit master (F0006)",
    todo="add the business unit in JDE, or map the source's cost center to an existing one",
)  # fmt: skip
EXCHANGE_RATE = missing_kind(
    "JDE", "exchange_rate", "F0015", label="exchange rate", master="JDE's exchange rate table (F0015)",
    todo="enter the rate of the currency against the company's currency, effective on or before the G/L "
    "date (P0015A)",
)  # fmt: skip
CURRENCY = missing_kind(
    "JDE", "currency", "F0013", label="currency", master="JDE's currency codes (F0013)",
    todo="set the currency up in JDE (P0013), or correct the document's currency in the source system",
)  # fmt: skip

KINDS = (SUPPLIER, ACCOUNT, ORDER, ADDRESS, BUSINESS_UNIT, EXCHANGE_RATE, CURRENCY)
_BY_CODE = {
    "59A1": SUPPLIER,
    "0002": SUPPLIER,
    "59A2": ACCOUNT,
    "59A6": ORDER,
    "59AA": ADDRESS,
    "0052": BUSINESS_UNIT,
    "59AD": EXCHANGE_RATE,
    "59AE": CURRENCY,
}
_QUOTED = re.compile(r"'([^']+)'")
_NUMBER = re.compile(r"\b(\d{1,8})\b")
_ORDER = re.compile(r"\b(\d{5})\s+(\d{1,8})\s+([A-Z0-9]{2})\b")


def _number(value: object) -> str:
    """An address number as the key holds it (``1011``, not ``1011.0``); "" when it is none."""
    given = text(value)
    try:
        return str(int(float(given))) if given else ""
    except ValueError:
        return ""


def _accounts(body: Mapping[str, Any]) -> list[str]:
    lines = body.get("Distribution") or body.get("Lines") or []
    return list(dict.fromkeys(text(line.get("Account")) for line in lines if text(line.get("Account"))))


def _day(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()[:10]
    return text(value)[:10]


def missing_ident(code: str, body: Mapping[str, object], words: str) -> str:
    """The id of the record refusal ``code`` says is missing, from the body sent, else from JDE's
    ``words``; "" when it cannot be told."""
    if code in ("59A1", "0002"):
        return _number(body.get("Supplier") or body.get("Address_Number")) or next(
            iter(_NUMBER.findall(words)), ""
        )
    if code == "59AA":
        return _number(body.get("Address_Number")) or next(iter(_NUMBER.findall(words)), "")
    if code == "59A2":
        accounts = _accounts(body)
        named = [q.strip() for q in _QUOTED.findall(words)]
        known = [a for a in named if a in accounts] or named
        if known:
            return known[0]
        return accounts[0] if len(accounts) == 1 else ""
    if code == "59A6":
        number = _number(body.get("Order_Number"))
        if number:
            company = text(body.get("Order_Company") or body.get("Company"))
            return f"{company}/{number}/{text(body.get('Order_Type'))}"
        found = _ORDER.search(words)
        return "/".join(found.groups()) if found else ""
    if code == "0052":
        named = _QUOTED.findall(words)
        return text(named[0]) if named else text(body.get("Business_Unit"))
    if code == "59AD":
        currency, company = text(body.get("Currency_Code")).upper(), text(body.get("Company"))
        day = _day(body.get("GL_Date") or body.get("Payment_Date"))
        return f"{currency}/{company}/{day}" if currency and company and day else ""
    if code == "59AE":
        return text(body.get("Currency_Code")).upper()
    return ""


def orchestration_error(exc: BaseException) -> JdeOrchestrationError | None:
    """JDE's own answer behind ``exc``: itself, or the orchestration error a target's refusal was raised
    from (``raise JdeRefused(...) from None`` still keeps it as the context)."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, JdeOrchestrationError):
            return exc
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
        seen += 1
    return None


def refused_for_missing(
    exc: BaseException, body: Mapping[str, object], document: str
) -> MissingRecord | None:
    """JDE's refusal ``exc`` of ``document`` (its ``body``) as a hold on the record it says is missing, or
    None when it is another refusal (or names no record that can be told)."""
    answer = orchestration_error(exc)
    if answer is None:
        return None
    errors = [m for m in answer.messages if m.code and m.severity == "error"]
    if not errors or errors[0].code not in _BY_CODE:
        return None
    first = errors[0]
    words = " ".join(text(w) for w in (first.mobile, first.description, first.title) if w)
    ident = missing_ident(first.code, body, words)
    if not ident:
        return None
    kind = _BY_CODE[first.code]
    return MissingRecord(kind, ident, held_reason(kind, ident, document, str(exc)))


# -- does the record exist now -----------------------------------------------------------------------------


def _now_in(kind: MissingKind, ids: Iterable[str]) -> dict[str, str]:
    """Each of ``ids`` (found now) with why it is ready: it is in the kind's master now."""
    return {i: f"{kind.label} {i} is in {kind.master} now" for i in ids}


def _suppliers(session: JdeSession, ids: list[str]) -> dict[str, str]:
    found = suppliers_among(session, {int(i) for i in ids if i.isdigit()})
    return _now_in(SUPPLIER, [i for i in ids if i.isdigit() and int(i) in found])


def _addresses(session: JdeSession, ids: list[str]) -> dict[str, str]:
    numbers = sorted({int(i) for i in ids if i.isdigit()})  # none: browse_in asks nothing
    found = {int(r["AN8"]) for r in browse_in(session, "F0101", "AN8", numbers, ["AN8"])}
    return _now_in(ADDRESS, [i for i in ids if i.isdigit() and int(i) in found])


def _accounts_exist(session: JdeSession, ids: list[str]) -> dict[str, str]:
    ready: list[str] = []
    for ident in ids:
        parts = [p.strip() for p in ident.split(".")]
        if len(parts) not in (2, 3):
            continue
        unit, obj, sub = parts[0], parts[1], parts[2] if len(parts) == 3 else ""
        conditions = [Condition("F0901.OBJ", "EQUAL", obj)]
        rows = session.browse("F0901", columns=["MCU", "OBJ", "SUB"], conditions=conditions)
        if any(text(r.get("MCU")) == unit and text(r.get("SUB")) == sub for r in rows):
            ready.append(ident)
    return _now_in(ACCOUNT, ready)


def _orders(session: JdeSession, ids: list[str]) -> dict[str, str]:
    ready: dict[str, str] = {}
    for ident in ids:
        company, _, rest = ident.partition("/")
        number, _, kind = rest.partition("/")
        if not number.isdigit():
            continue
        conditions = [Condition("F4301.DOCO", "EQUAL", int(number))]
        conditions += [Condition("F4301.KCOO", "EQUAL", company)] if company else []
        conditions += [Condition("F4301.DCTO", "EQUAL", kind)] if kind else []
        if any(True for _ in session.browse("F4301", columns=["DOCO"], conditions=conditions)):
            ready[ident] = f"purchase order {company} {number} {kind} is in JDE (F4301) now"
    return ready


def _business_units(session: JdeSession, ids: list[str]) -> dict[str, str]:
    try:
        units = {text(r.get("MCU")) for r in session.browse("F0006", columns=["MCU"])}
    except Exception:  # a JDE whose AIS serves no F0006: its business units are those of its accounts
        units = {text(r.get("MCU")) for r in session.browse("F0901", columns=["MCU"])}
    return {i: f"business unit {i} is in JDE now" for i in ids if i in units}


def _currencies(session: JdeSession, ids: list[str]) -> dict[str, str]:
    codes = sorted(set(ids))
    found = {text(r.get("CRCD")).upper() for r in browse_in(session, "F0013", "CRCD", codes, ["CRCD"])}
    return _now_in(CURRENCY, [c for c in ids if c in found])


def _rates(session: JdeSession, ids: list[str]) -> dict[str, str]:
    """``<currency>/<company>/<G/L date>``: ready once F0015 holds a rate of the currency against the
    company's currency (F0010 ``CRCD``) effective on or before that date."""
    ready: dict[str, str] = {}
    held = [(ident.split("/") + ["", "", ""])[:3] for ident in ids]
    domestic = company_currencies(session, sorted({company for _, company, _ in held if company}))
    for ident, (currency, company, day) in zip(ids, held, strict=True):
        to = domestic.get(company, "")
        if not (currency and day and to):
            continue
        conditions = [Condition("F0015.CRCD", "EQUAL", currency), Condition("F0015.CRDC", "EQUAL", to)]
        for row in session.browse("F0015", columns=["CRCD", "CRDC", "EFT"], conditions=conditions):
            if _day(row.get("EFT")) and _day(row.get("EFT")) <= day:
                ready[ident] = (
                    f"JDE has an exchange rate of {currency} to {to} effective by {day} (F0015) now"
                )
                break
    return ready


_READERS: dict[MissingKind, Callable[[Any, list[str]], dict[str, str]]] = {
    SUPPLIER: _suppliers,
    ADDRESS: _addresses,
    ACCOUNT: _accounts_exist,
    ORDER: _orders,
    BUSINESS_UNIT: _business_units,
    CURRENCY: _currencies,
    EXCHANGE_RATE: _rates,
}


def appeared_checks(session: JdeSession) -> dict[tuple[str, str, str], AppearedCheck]:
    """Each JDE kind's check on ``session``: held ids -> why each exists now."""
    return {kind.parts: (lambda ids, read=read: read(session, ids)) for kind, read in _READERS.items()}


def jde_missing_checks(resources: Resources) -> dict[tuple[str, str, str], MissingCheck]:
    """The sweeps releasing what waits for a JDE record that now exists (a JDE flow's ``Replay.outside``),
    each kind's read on ``resources()["jde"]`` (the JDE its replays write with, built when a sweep asks),
    as Fusion's side builds its own (``fusion.missing_sites``)."""
    return missing_checks(_READERS, lambda: resources()["jde"].session())


# -- a preview's look ahead ----------------------------------------------------------------------------------


def would_miss(session: JdeSession, body: Mapping[str, Any], document: str) -> MissingRecord | None:
    """What JDE would refuse ``document`` for, when a record its body names is missing (a preview: the
    write is held, so the refusal never comes): its supplier, its accounts, its order, read now."""
    checks: list[tuple[MissingKind, str, Callable[[Any, list[str]], dict[str, str]], str]] = []
    supplier = _number(body.get("Supplier"))
    if supplier:
        checks.append(
            (SUPPLIER, supplier, _suppliers, "the supplier is not in JDE's supplier master (F0401)")
        )
    checks += [
        (ACCOUNT, account, _accounts_exist, "an account is not in JDE's account master (F0901)")
        for account in _accounts(body)
    ]
    order = missing_ident("59A6", body, "") if _number(body.get("Order_Number")) else ""
    if order:
        checks.append((ORDER, order, _orders, "the purchase order does not exist in JDE"))
    for kind, ident, read, words in checks:
        if ident not in read(session, [ident]):
            refusal = f"{words} (read before the write, which a preview does not send)"
            return MissingRecord(kind, ident, held_reason(kind, ident, document, refusal))
    return None


# -- a mapper's look at the cached account master ----------------------------------------------------------

_OBJECTS: weakref.WeakKeyDictionary[GlAccounts, frozenset[str]] = weakref.WeakKeyDictionary()


def _objects(gl: GlAccounts) -> frozenset[str]:
    """The object accounts the cached F0901 uses in any business unit (read once per cache)."""
    if gl not in _OBJECTS:
        _OBJECTS[gl] = frozenset(obj for _unit, obj, _sub in gl.accounts)
    return _OBJECTS[gl]


def of_jde_chart(gl: GlAccounts, account: str) -> bool:
    """Whether ``account`` (``BU.OBJ[.SUB]``) is of JDE's chart as the cached F0901 shows it: its business
    unit holds accounts and its object account is used in some business unit (module docstring)."""
    parts = [p.strip().upper() for p in account.split(".")]
    if len(parts) not in (2, 3) or not all(parts[:2]):
        return False
    return parts[0] in gl.business_units and parts[1] in _objects(gl)


def chart_account_missing(gl: GlAccounts, account: str, document: str, refusal: str) -> MissingRecord | None:
    """A hold on ``account`` for ``document`` when the cached F0901 lacks it but it is of JDE's chart (not
    set up yet for its business unit), with JDE's words ``refusal`` kept; None when the cache has it, or
    when it is no account of JDE's chart (a refusal: the mapping names something JDE does not have)."""
    if not of_jde_chart(gl, account) or gl.lookup(account) is not None:
        return None
    ident = ".".join(p.strip() for p in account.split("."))
    return MissingRecord(ACCOUNT, ident, held_reason(ACCOUNT, ident, document, refusal))
