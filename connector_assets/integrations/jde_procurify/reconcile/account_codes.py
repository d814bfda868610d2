"""Account codes on one side only: JDE accounts that should have a Procurify account code and have none
(or an inactive one), and Procurify account codes with no JDE account behind them.

JDE's side: every account of the cached F0901 (``jde/gl_accounts``) that the account table maps or the
account scope covers (``account_map.AccountMap.code_for``), postable (posting edit blank), i.e. exactly
what the ``account_codes`` flow writes as an active code; its code must be an active Procurify account
code. Procurify's side: ``account_codes.orphan_codes`` (active codes that lead to no F0901 account, the
flow's own test), never created in JDE, whose chart is the master. Both sides are small master data, read
whole every run (Procurify's account codes have no change filter, §2.8).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from connector_assets.flows.reconciliation import Report
from connector_assets.integrations.jde_procurify.account_codes import ChartAccount
from connector_assets.integrations.jde_procurify.account_map import AccountMap
from connector_assets.procurify.account_codes import OrphanCode

POSTABLE = ""  # F0901 PEC blank: postable; N summary (never a code), I inactive (its code switched off)


def expected_codes(chart: Mapping[str, ChartAccount], accounts: AccountMap) -> dict[str, str]:
    """JDE account -> the Procurify code it should have as an active code (what the flow writes)."""
    expected = {}
    for account, entry in chart.items():
        code = accounts.code_for(account)
        if code is not None and entry.posting_edit == POSTABLE:
            expected[account] = code
    return expected


def compare_account_codes(
    report: Report,
    expected: Mapping[str, str],
    codes: Iterable[Mapping[str, Any]],
    orphans: Iterable[OrphanCode],
    queued: Mapping[str, str],
) -> None:
    """``expected``: JDE account -> its code; ``codes``: every Procurify account code (API rows);
    ``orphans``: the active codes with no JDE account; ``queued``: the account codes flow's reasons."""
    held = {str(row.get("code") or "").strip(): row for row in codes}
    report.counts["jde_accounts_with_codes_expected"] = len(expected)
    for account, code in sorted(expected.items()):
        row = held.get(code)
        why = queued.get(account) or "not written yet, and not in the retry queue either"
        if row is None:
            report.differ(
                "account without code",
                f"JDE account {account}",
                "account codes",
                account,
                "-",
                f"JDE account {account} is postable and should be Procurify account code {code}, which "
                f"Procurify does not have ({why})",
            )
        elif row.get("active") is False:
            report.differ(
                "account without code",
                f"JDE account {account}",
                "account codes",
                account,
                f"{code} (inactive)",
                f"JDE account {account} is postable but its Procurify account code {code} is inactive "
                f"({why})",
            )
        else:
            report.counts["jde_accounts_with_code"] += 1
    for orphan in orphans:
        described = f" ({orphan.description})" if orphan.description else ""
        report.differ(
            "code without account",
            f"account code {orphan.code}",
            "account codes",
            "-",
            orphan.code,
            f"Procurify account code {orphan.code}{described} has no JDE account: {orphan.reason}; it is not "
            "created in JDE (map it in the account table, add the account in JDE, or deactivate the code)",
        )
