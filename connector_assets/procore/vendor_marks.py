"""The origin mark: a Procore vendor that reached the ERP gets ``origin_id`` and ``origin_code`` written
back, asked of the ledger (``Ledger.written_unmarked``), after the write, never before. Docs:
docs/integrations/procore_jde.md, "The flows" (vendors, Procore -> JDE; the 409 not retried)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from connector_assets.procore.companies import listed_vendors, vendor_company
from connector_resources.ledger import Ledger
from connector_resources.procore import ProcoreConflictError, ProcoreError
from connector_resources.redaction import redact

MARK_BATCH = 1000  # vendors marked per run at most; the rest wait for the next run


@dataclass(frozen=True)
class OriginMark:
    """What one integration's marks are: the ledger's keys, its ERP as the cross-reference (``target_system``)
    and the audit (``target_label``, "JDE supplier") name it, the values for an ERP id and what a written mark
    also records."""

    integration: str
    flow: str
    target_system: str
    target_label: str
    values: Callable[[str], dict[str, str]]
    marked: Callable[[Ledger, str], None]


def _audit_mark(mark: OriginMark, ledger: Ledger, xref: Any, run_id: str | None, reason: str) -> None:
    """The mark's event: an ``update`` of the vendors flow on Procore, which is how the ledger knows the
    vendor needs no more marking (``Ledger.written_unmarked``)."""
    ledger.audit(
        integration=mark.integration,
        flow=mark.flow,
        entity="vendor",
        action="update",
        source_system="procore",
        source_id=xref.source_key,
        target_system="procore",
        target_id=xref.source_key,
        run_id=run_id,
        reason=reason,
    )


def mark_origin(
    mark: OriginMark,
    session: Any,
    ledger: Ledger,
    xref: Any,
    run_id: str | None,
    read: dict[str, Any] | None = None,
) -> str:
    """Write origin_id / origin_code of one written vendor (when not already so); returns what happened.
    ``read``: the vendor as the step listed it, else it is read by id."""
    target, vendor_id = xref.target_id, xref.source_key
    record = f"{mark.target_label} {target}"
    wanted = mark.values(target)
    vendor = read if read is not None else session.get("vendors", vendor_id)
    if all(str(vendor.get(k) or "") == v for k, v in wanted.items()):
        _audit_mark(mark, ledger, xref, run_id, f"already carries origin_id {wanted['origin_id']} ({record})")
        return "unchanged"
    try:
        session.update_vendor(vendor_id, wanted)
    except ProcoreConflictError as exc:
        _audit_mark(
            mark,
            ledger,
            xref,
            run_id,
            f"not marked: Procore refused origin_id {wanted['origin_id']} on vendor {vendor_id} ({exc}); its "
            f"origin_id is owned by another integration, so the link to {record} is kept in the "
            "ledger only",
        )
        return "owned"
    mark.marked(ledger, vendor_id)
    _audit_mark(
        mark,
        ledger,
        xref,
        run_id,
        f"origin_id {wanted['origin_id']} and origin_code {target} written ({record})",
    )
    return "marked"


def mark_written_vendors(
    mark: OriginMark, sessions: Any, ledger: Ledger, run_id: str | None, default_company: int
) -> dict[str, Any]:
    """Mark every vendor the ledger shows written to the ERP and not yet marked, each in its own Procore
    company (``sessions``: the step's ``CompanySessions``; the company the ledger keeps for the vendor,
    else ``default_company``, the first); counts and failures."""
    pending = ledger.written_unmarked(
        mark.integration,
        "vendor",
        "procore",
        mark.target_system,
        flow=mark.flow,
        mark_system="procore",
        limit=MARK_BATCH,
    )
    counts = {"marked": 0, "unchanged": 0, "owned": 0}
    failures: dict[str, str] = {}
    companies = {
        x.source_key: vendor_company(ledger, mark.integration, x.source_key, default_company) for x in pending
    }
    try:
        listed = listed_vendors(sessions, companies)
    except ProcoreError:  # each is read by id, where a failure is that vendor's
        listed = {}
    for xref in pending:
        try:
            session = sessions.session(companies[xref.source_key])
            read = listed.get(xref.source_key)
            counts[mark_origin(mark, session, ledger, xref, run_id, read)] += 1
        except Exception as exc:  # noqa: BLE001 - one vendor's failure must not stop the others
            failures[xref.source_key] = redact(str(exc))
    return {**counts, "failures": failures, "more": len(pending) >= MARK_BATCH}
