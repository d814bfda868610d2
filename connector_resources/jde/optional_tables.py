"""The JDE tables a flow can do without, and the one setting per table that says whether they are read.

Supplier contact details live in tables an AIS user is often not allowed to read (the allowlist or the
Security Workbench refuses them): F0116 addresses, F0115 phones, F01151 e-mails. Every flow that reads one
(JDE -> BILL vendors, JDE -> Procurify suppliers, Procore <-> JDE suppliers and vendors) asks here, so one
switch turns a table off for all of them and they agree. With a table off it is never asked for: the
flows send suppliers without that part (the other system keeps what it has) and say so once a run.
``ml-connector ping`` reads one row of each (``probe``) and names the setting to turn off when refused.

F0030 (bank accounts) is not here: it has its own Procore setting (``ML_PROCORE_JDE_VENDOR_BANK_FIELDS``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from connector_resources import settings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class OptionalTable:
    """A JDE table the flows may go without: its setting and what a supplier lacks when it is off."""

    table: str
    setting: str
    title: str
    without: str  # what is left out, in an operator's words
    deprecated: tuple[str, ...] = ()  # old names of the setting, still honoured with a warning

    def advice(self) -> str:
        """What to do when JDE refuses the table."""
        return (
            f"allow the AIS user to read {self.table} ({self.title}), or set {self.setting}=off to send "
            f"suppliers without {self.without}"
        )


ADDRESSES = OptionalTable(
    "F0116",
    "ML_JDE_SUPPLIER_ADDRESSES",
    "Address by Date",
    "a mailing address",
    deprecated=("ML_JDE_BILL_VENDOR_ADDRESSES",),
)
PHONES = OptionalTable("F0115", "ML_JDE_SUPPLIER_PHONES", "Contact Phone Numbers", "a phone number")
EMAILS = OptionalTable("F01151", "ML_JDE_SUPPLIER_EMAILS", "Electronic Address", "an e-mail address")
OPTIONAL_TABLES: dict[str, OptionalTable] = {t.table: t for t in (ADDRESSES, PHONES, EMAILS)}

_warned: set[str] = set()


def enabled(table: str) -> bool:
    """Whether the flows read ``table`` (True for a table that is not optional). The setting itself when
    given, else a deprecated name when that is given (warned once a process), else its default (on)."""
    spec = OPTIONAL_TABLES.get(table)
    if spec is None:
        return True
    if settings.given(spec.setting):
        return settings.on_off(spec.setting, settings.value(spec.setting))
    for old in spec.deprecated:
        if settings.given(old):
            if old not in _warned:
                _warned.add(old)
                log.warning("%s is deprecated: set %s (read by every flow that reads %s)", old, spec.setting,
                            spec.table)  # fmt: skip
            return settings.on_off(old, settings.given(old))
    return settings.on_off(spec.setting, settings.value(spec.setting))


def read(tables: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The ones of ``tables`` the flows read now (the optional ones switched off left out)."""
    return tuple(t for t in tables if enabled(t))


def switched_off(tables: tuple[str, ...] | list[str] = tuple(OPTIONAL_TABLES)) -> list[OptionalTable]:
    """The optional ones of ``tables`` switched off."""
    return [OPTIONAL_TABLES[t] for t in tables if t in OPTIONAL_TABLES and not enabled(t)]


def announce(
    logger: Any, flow: str, tables: tuple[str, ...] | list[str] = tuple(OPTIONAL_TABLES)
) -> list[str]:
    """Say once (a warning on ``logger``, a flow's run log) which of ``tables`` ``flow`` does not read and
    what its records lack for it; the lines said."""
    said = [
        f"{flow}: {t.table} ({t.title}) not read ({t.setting}=off): suppliers are sent without {t.without}"
        for t in switched_off(tables)
    ]
    for line in said:
        logger.warning(line)
    return said


def explain(table: str, message: str) -> str:
    """``message`` (a refusal of ``table``) with the setting that lets the flows do without it."""
    spec = OPTIONAL_TABLES.get(table)
    return f"{message} To go on without it: {spec.advice()}." if spec else message


def probe(session: Any) -> list[tuple[OptionalTable, str | None]]:
    """One cheap read (one row) of each optional table on a JDE ``session``: each table with None when
    the user can read it, else why not."""
    from connector_resources.jde.errors import JdeError

    out: list[tuple[OptionalTable, str | None]] = []
    for spec in OPTIONAL_TABLES.values():
        try:
            session.sample(spec.table, columns=[f"{spec.table}.AN8"])
        except JdeError as exc:
            out.append((spec, str(exc)))
        else:
            out.append((spec, None))
    return out


@contextmanager
def refusal_explained() -> Iterator[None]:
    """A JDE refusal (HTTP 400 / 403 / 405) naming an optional table fails the work with the setting that
    lets the flows go without it: an AIS server may refuse a table it does not let the user read in
    several ways (the reference documents 403; a 400 "not available" has been seen)."""
    from connector_resources.jde.errors import JdeError

    try:
        yield
    except JdeError as refused:
        text = str(refused)
        named = [t for t in OPTIONAL_TABLES if re.search(rf"\b{t}\b", text)]
        if refused.status not in (400, 403, 405) or not named:
            raise
        if f"{OPTIONAL_TABLES[named[0]].setting}=off" in text:
            raise  # already says it (``supplier_details`` does)
        explained = explain(named[0], text)
        try:
            raise type(refused)(explained, status=refused.status) from refused
        except TypeError:
            raise JdeError(explained, status=refused.status) from refused
