"""Account codes: every JDE account the ``account_codes`` flow writes, field by field, and Procurify codes
with no JDE account behind them. JDE's side is what the flow sends now (``account_codes.map_chart``);
Procurify's is every code, read whole (small master data with no change filter). What is named:
docs/integrations/jde_procurify.md, "Reconciliation".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from connector_assets.flows.core import Mapped, Rejected
from connector_assets.flows.reconciliation import Report
from connector_assets.flows.reconciliation_expected import Expectations
from connector_assets.procurify.account_codes import OrphanCode
from connector_assets.procurify.order_fields import words

SCOPE = "account codes"


def _status(active: object) -> str:
    return "inactive" if active is False else "active"


def compare_account_codes(
    report: Report,
    expected: Iterable[Mapped | Rejected],
    codes: Iterable[Mapping[str, object]],
    orphans: Iterable[OrphanCode],
    expectations: Expectations,
) -> None:
    """``expected``: the flow's records now (``map_chart``), keyed by JDE account; ``codes``: every
    Procurify account code (API rows); ``orphans``: the active codes with no JDE account."""
    held = {words(row.get("code")): row for row in codes}
    for record in expected:
        report.compared += 1
        account = record.source_key
        label = f"JDE account {account}"
        if isinstance(record, Rejected):  # the flow refuses it: no code to look for
            ours, row, counterpart = account, None, ""
            why = f"{label} has no Procurify account code: {record.reason}"
        else:
            code, active = record.body["code"], bool(record.body["active"])
            ours, row, counterpart = code, held.get(words(code)), f"account code {code}"
            if row is None and not active:
                continue  # closed in JDE, never in Procurify: nothing to switch off
            why = (
                f"{label} is postable and should be Procurify account code {code}, which Procurify does not "
                "have (not written yet, and not in the retry queue either)"
            )
        if row is None:
            if not expectations.account_for(report, label, account):
                report.differ(
                    "code missing in Procurify",
                    label,
                    SCOPE,
                    ours,
                    "-",
                    why,
                    counterpart=counterpart,
                    field="code",
                )
            continue
        found = []
        if (row.get("active") is not False) != active:
            found.append(
                (
                    "code status",
                    _status(active),
                    _status(row.get("active")),
                    f"{label} is {'postable' if active else 'inactive'} in JDE (F0901 PEC) but Procurify "
                    f"account code {code} is {_status(row.get('active'))}",
                    "PEC / active",
                )
            )
        description = words(record.body.get("description"))
        if description != words(row.get("description")):
            theirs = words(row.get("description"))
            found.append(
                (
                    "code description",
                    description or "-",
                    theirs or "-",
                    f"{label} is described {description!r} in JDE (F0901 DL01) but Procurify account code "
                    f"{code} {theirs!r}",
                    "DL01 / description",
                )
            )
        if not found:
            report.counts["codes_in_balance"] += 1
        elif not expectations.account_for(report, label, account):
            for kind, ours, held_value, said, named in found:
                report.differ(
                    kind, label, SCOPE, ours, held_value, said, counterpart=counterpart, field=named
                )
    for orphan in orphans:
        report.compared += 1
        described = f" ({orphan.description})" if orphan.description else ""
        report.differ(
            "code only in Procurify",
            "-",
            SCOPE,
            "-",
            orphan.code,
            f"Procurify account code {orphan.code}{described} has no JDE account: {orphan.reason}; it is not "
            "created in JDE (map it in the account table, add the account in JDE, or deactivate the code)",
            counterpart=f"account code {orphan.code}",
            field="account",
        )
