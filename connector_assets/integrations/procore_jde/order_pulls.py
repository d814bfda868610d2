"""The commitments the vouchers and change orders flows pull as orders (``flows.parent_pull``): a voucher or
change order held on a commitment whose JDE order the ledger never synced (billed before the first day).

Why this module: such a commitment has no retry-queue item of its own to say where Procore keeps it, so
the records held on it say (a requisition or change order is in its commitment's project and company).
And the purchase orders flow makes an order only for a commitment with an approved requisition: one that
only change orders wait for is pulled when Procore lists an approved requisition of it; otherwise the
change orders keep waiting for its first one, as the docs say (docs/integrations/procore_jde.md)."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from connector_assets.procore.commitment_requisitions import ProjectStatuses, has_approved_requisition
from connector_assets.procore.companies import QUEUED_FIELD
from connector_resources.ledger import Ledger
from connector_resources.redaction import get_logger

log = get_logger(__name__)

VOUCHERS = "vouchers"  # the flow whose records are approved requisitions (``vouchers.vouchers_flow``)
OPEN_ITEMS = 100_000  # the instance's open items read at most, once per pull


@dataclass(frozen=True)
class HeldOn:
    """Where a pulled commitment is read, as the records held on it name it, and whether one of them is an
    approved requisition of it (a voucher)."""

    project: int | None
    company: int | None
    invoiced: bool


def _number(value: Any) -> int | None:
    text = str(value if value is not None else "").strip()
    return int(text) if text.isdigit() else None


def held_on(
    ledger: Ledger, integration: str, keys: Iterable[str], dependency_key: Callable[[str], str]
) -> dict[str, HeldOn]:
    """Commitment id -> what the instance's (``integration``) open items held on its order
    (``dependency_key``) say."""
    wanted = {dependency_key(key): key for key in keys}
    found: dict[str, HeldOn] = {}
    for item in ledger.open_items(integration=integration, limit=OPEN_ITEMS):
        key = wanted.get(item.depends_on or "")
        if key is None:
            continue
        payload = item.payload or {}
        fields, natural = payload.get("fields") or {}, payload.get("natural_key") or {}
        before = found.get(key, HeldOn(None, None, False))
        found[key] = HeldOn(
            before.project or _number(fields.get("project_id") or payload.get("project_id")),
            before.company or _number(natural.get(QUEUED_FIELD) or payload.get(QUEUED_FIELD)),
            before.invoiced or item.flow == VOUCHERS,
        )
    return found


def pullable(
    procore: Any,
    held: dict[str, HeldOn],
    approved: frozenset[str],
    default_company: int,
    kept: Callable[[int], ProjectStatuses] | None = None,
) -> dict[str, tuple[int | None, int]]:
    """Commitment id -> (project, company) of the held-on commitments the purchase orders flow would write:
    those a voucher waits for, and those Procore lists an approved requisition of (each project's list read
    once per ``kept``: company -> the run's, ``Kept.requisition_statuses``)."""
    found: dict[str, tuple[int | None, int]] = {}
    with procore.company_sessions() as sessions:
        for key, on in held.items():
            company = on.company or default_company
            statuses = kept(company) if kept is not None else None
            if not on.invoiced and not (
                on.project is not None
                and has_approved_requisition(sessions.session(company), on.project, key, approved, statuses)
            ):
                log.info(
                    "commitment %s: no approved requisition in Procore, so no JDE order yet; the change "
                    "orders held on it wait for its first",
                    key,
                )
                continue
            found[key] = (on.project, company)
    return found
