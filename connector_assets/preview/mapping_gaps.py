"""The mapping-table values a refusal says are missing ("payment terms N45", "account 20.8150"), read back
from the mappers' own words, so the fit report can say which rows to add and how many records each unblocks.

Why read the words: a refusal reaches the report as the text a real run would queue, and each integration
words its tables in its own way (a reason may name several values: an order with two unmapped lines). Each
phrasing below is the one its mapper writes (the f-string it copies is named beside it); a refusal that
matches none is still counted by the report among the reasons, only not as a missing value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MappingGap:
    """One value a mapping table lacks: ``what`` it is ("payment terms"), the ``value`` as the refusal names
    it, and the ``table`` (asset or setting) when the refusal names one, else ""."""

    what: str
    value: str
    table: str = ""


_Reader = Callable[[re.Match[str]], Iterator[MappingGap]]


def _one(what: str) -> _Reader:
    def read(match: re.Match[str]) -> Iterator[MappingGap]:
        table = match.groupdict().get("table") or ""
        yield MappingGap(what, match["value"].strip("'\""), table)

    return read


def _listed(what: str, separator: str, item: re.Pattern[str] | None = None) -> _Reader:
    """Several values in one group (``values``), split by ``separator``; ``item`` picks the value out of
    each part (its group 1) when a part says more than the value."""

    def read(match: re.Match[str]) -> Iterator[MappingGap]:
        table = match.groupdict().get("table") or ""
        for part in match["values"].split(separator):
            found = item.search(part) if item else None
            value = (found[1] if found else "") if item else part.strip()
            if value:
                yield MappingGap(what, _table_key(value), table)

    return read


def _table_key(value: str) -> str:
    """A JDE line without an account is looked up by its line type (``LNTY:S``), so that is the row to add."""
    blank = re.fullmatch(r"\(none, line type (\S*)\)", value)
    return f"LNTY:{blank[1]}" if blank else value


def _bill_line(match: re.Match[str]) -> Iterator[MappingGap]:
    """BILL's two tables name an account, a stock line (keyed ``LNTY:S``) or a business unit."""
    shown = match["shown"]
    what, _, value = shown.rpartition(" ")
    if shown.startswith("stock lines"):
        what, value = "account", value.strip("()")
    yield MappingGap(what, value, match["table"].strip())


# (the mapper's words as a pattern, what the value is) in the order tried; each comment quotes its f-string.
_GAPS: tuple[tuple[re.Pattern[str], _Reader], ...] = (
    # jde_coupa suppliers: "payment terms {jde_terms} (F0401 TRAP) have no Coupa payment term in the mapping
    # table {asset} (${variable})"
    (
        re.compile(
            r"payment terms (?P<value>[^:;]+?) \(F0401 TRAP\) have no Coupa payment term "
            r"in the mapping table (?P<table>\S+)"
        ),
        _one("payment terms"),
    ),
    # jde_bill bills: "payment terms {text} have no net days in the terms mapping table ({table})"
    (
        re.compile(
            r"payment terms (?P<value>[^:;]+?) have no net days "
            r"in the terms mapping table \((?P<table>[^)]+)\)"
        ),
        _one("payment terms"),
    ),
    # jde_coupa purchase orders: "no Coupa account in the mapping table for " + "line {n}: account {x}; ..."
    (
        re.compile(r"no Coupa account in the mapping table for (?P<values>.+)$"),
        _listed("account", "; ", re.compile(r"^line [^:]+: account (.+)$")),
    ),
    # jde_coupa invoices: "account {jde_account} has no Coupa account in the mapping table"
    (re.compile(r"account (?P<value>\S+) has no Coupa account in the mapping table"), _one("account")),
    # bill line_classifications: "{shown} has no BILL {what} id in the {kind} mapping table ({setting};
    # {where})", ``shown`` an account, the stock lines or a business unit
    (
        re.compile(
            r"(?P<shown>account \S+|business unit \S+|stock lines \(LNTY:S\)) has no BILL [\w-]+ id "
            r"in the \w+ mapping table \((?P<table>[^;)]+)"
        ),
        _bill_line,
    ),
    # coupa_jde invoices: "{where}: Coupa account {code!r} has no JDE account (mapping table or segments)"
    (
        re.compile(r"Coupa account (?P<value>'[^']*'|\"[^\"]*\"|None) has no JDE account \(mapping table"),
        _one("Coupa account"),
    ),
    # fusion_procurify: "Procurify account code {code} has no row in the account map ({ACCOUNT_MAP_ENV})" and
    # "Procurify department {place} has no row in the department map ({DEPARTMENT_MAP_ENV}), ..."
    (
        re.compile(r"Procurify account code (?P<value>\S+) has no row in the account map \((?P<table>\w+)\)"),
        _one("Procurify account code"),
    ),
    (
        re.compile(
            r"Procurify department (?P<value>[^;]+?) has no row in the department map \((?P<table>\w+)\)"
        ),
        _one("Procurify department"),
    ),
    # jde_procurify: "(add account{plural} {accounts} to {asset} or ${scope}, then replay)" and "business
    # unit {unit} has no row in {asset} (and there is no * row)"
    (re.compile(r"\(add accounts? (?P<values>.+?) to (?P<table>\S+) or \$"), _listed("account", ", ")),
    (
        re.compile(r"business unit (?P<value>\S+) has no row in (?P<table>\S+) \(and there is no \* row\)"),
        _one("business unit"),
    ),
    # procore_jde (jde.job_cost_map): "project {id} ({label}) has no job business unit in {asset} (...)" and
    # "cost code {code} on project ... has no row in {asset} ({variable}; looked for ...)"
    (
        re.compile(r"project (?P<value>[^:;]+?) has no job business unit in (?P<table>\S+) \("),
        _one("project"),
    ),
    (
        re.compile(r"cost code (?P<value>[^:;]+?) on project [^:;]+? has no row in (?P<table>\S+) \("),
        _one("cost code"),
    ),
)


# Words every phrasing above has: most reasons have none, and one search is cheaper than twelve.
_ANY_GAP = re.compile(
    r"mapping table|account map|department map|\(add account|has no row in|has no job business unit"
)


def mapping_gaps(reason: str) -> list[MappingGap]:
    """Every mapping-table value ``reason`` says is missing, each once, in the order named; [] for a reason
    that names none (or words it in a way not listed here)."""
    if not _ANY_GAP.search(reason or ""):
        return []
    found: dict[MappingGap, None] = {}
    for pattern, read in _GAPS:
        for match in pattern.finditer(reason or ""):
            found.update(dict.fromkeys(read(match)))
    return list(found)
