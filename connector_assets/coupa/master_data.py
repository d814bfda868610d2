"""Coupa's accounts and payment terms asked directly about the codes a mapping table names (``code[in]``, 49
to a call), before an operator's change to the table is saved. An account code is unique only per chart of
accounts, so a code is fine when any chart has it active; Coupa refuses a line on an inactive account
("account is inactive"), so inactive is a refusal.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

MAPPING_FLOW = "mapping"  # ``entities.FLOW_SCOPES``: what mapping validation may read


def _by_code(coupa: Any, entity: str, codes: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Coupa ``entity`` records by code; a code holding a comma (Coupa's list separator) asked alone."""
    found: dict[str, list[dict[str, Any]]] = {}
    listed = [c for c in codes if "," not in c]
    with coupa.session(flow=MAPPING_FLOW) as session:
        rows = list(session.iter_in(entity, "code", listed)) if listed else []
        for code in (c for c in codes if "," in c):
            rows += session.search(entity, {"code": code}, limit=50)
    for row in rows:
        found.setdefault(str(row.get("code") or "").strip(), []).append(row)
    return found


def accounts(coupa: Any, codes: Iterable[str]) -> dict[str, str]:
    """``{code: problem}`` for each Coupa account code that is not in Coupa or active in no chart."""
    return _missing_or_inactive(coupa, "accounts", "Coupa account", codes)


def payment_terms(coupa: Any, codes: Iterable[str]) -> dict[str, str]:
    """``{code: problem}`` for each Coupa payment term code Coupa does not have (or has inactive)."""
    return _missing_or_inactive(coupa, "payment_terms", "Coupa payment term", codes)


def _missing_or_inactive(coupa: Any, entity: str, what: str, codes: Iterable[str]) -> dict[str, str]:
    named = [c for c in dict.fromkeys(codes) if c]
    found = _by_code(coupa, entity, named) if named else {}
    problems = {}
    for code in named:
        rows = found.get(code, [])
        if not rows:
            problems[code] = f"{what} {code} is not in Coupa"
        elif not any(row.get("active") is not False for row in rows):
            problems[code] = f"{what} {code} is inactive in Coupa"
    return problems
