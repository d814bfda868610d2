"""Account codes, both ways: each account table row against the Procurify code the flow keeps for it, and each
active Procurify code with no Fusion account; small master data compared whole every day. Pure: ``day``
reads. Kinds: docs/integrations/fusion_procurify.md, "Reconciliation".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from connector_assets.flows.reconciliation import Report
from connector_assets.procurify.account_codes import OrphanCode

from ..account_map import normal_code
from .reads import GapsLike

SCOPE = "account codes"


class ChargesLike(Protocol):
    accounts: Mapping[str, str]

    def natural_account_problem(self, natural: str) -> str | None: ...


def _state(active: bool) -> str:
    return "active" if active else "inactive"


def compare_account_codes(
    report: Report,
    charges: ChargesLike,
    codes: Iterable[Mapping[str, Any]],
    orphans: Iterable[OrphanCode],
    gaps: GapsLike,
) -> None:
    """``charges``: the account table and Fusion's staged combinations (``ChargeAccounts``); ``codes``:
    every Procurify account code (API rows); ``orphans``: the active codes with no Fusion account."""
    held = {normal_code(row.get("code") or ""): row for row in codes}
    for code, natural in sorted(charges.accounts.items()):
        problem = charges.natural_account_problem(natural)
        if problem and "is in no combination" in problem:
            continue  # refused by the flow (queued); a Procurify code of it is named as an orphan below
        report.compared += 1
        posts = problem is None
        record, account = f"Procurify account code {code}", f"Fusion account {natural}"
        row = held.get(code)
        if row is None:
            if not posts:
                report.counts["account_codes_closed_not_created"] += 1  # never created just to be off
                continue
            if gaps.account_for(report, "account_codes", record, code):
                continue
            report.differ(
                "account code missing in Procurify",
                record,
                SCOPE,
                "-",
                f"{natural} (posts)",
                f"{account} takes postings and the account table maps it to Procurify code {code}, which "
                "Procurify does not have (not written yet, and not in the account codes flow's retry queue "
                "either)",
                counterpart=account,
                field="code",
            )
            continue
        active = row.get("active") is not False
        if active == posts:
            report.counts["account_codes_in_agreement"] += 1
            continue
        fusion_side = "posts" if posts else f"takes no postings: {problem}"
        report.differ(
            "account code status",
            record,
            SCOPE,
            _state(active),
            _state(posts),
            f"{record} is {_state(active)} in Procurify but {account} {fusion_side} in Fusion (the account "
            f"codes flow keeps it {_state(posts)})",
            counterpart=account,
            field="active",
        )
    for orphan in orphans:
        report.compared += 1
        described = f" ({orphan.description})" if orphan.description else ""
        report.differ(
            "account code only in Procurify",
            f"Procurify account code {orphan.code}{described}",
            SCOPE,
            orphan.code,
            "-",
            f"Procurify account code {orphan.code}{described} is active but has no Fusion account: "
            f"{orphan.reason}; it is not created in Fusion (map it in the account table, open the account in "
            "Fusion, or deactivate the code)",
            field="code",
        )
