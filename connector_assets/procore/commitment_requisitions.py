"""Whether Procore shows an approved requisition of a commitment: a flow that makes an ERP order only for a
commitment someone has invoiced and approved asks it before writing an order nothing of the day named.

Why a project at a time: a run asks it for every commitment its held records wait for, day after day, and
those are a few projects' commitments. The project's requisitions are listed once a run (``GET
/requisitions?project_id=``, reference §2.5; pages of ``page_size``, 1,000 by default) and every commitment
of that project is answered from that list, instead of one ``filters[commitment_id]`` call per commitment
and day (the same commitment was asked again after its vendor was pulled)."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from connector_resources.procore.entities import API


@dataclass
class Invoiced:
    """A commitment's requisitions in its project's list: their statuses (lower case, not deleted) and the
    commitment's type as they name it (``commitment_type``, reference §2.5; None when none says)."""

    statuses: set[str] = field(default_factory=set)
    kind: str | None = None


# project id -> {commitment id -> its requisitions}
ProjectStatuses = dict[int, dict[str, Invoiced]]


def requisition_statuses(
    session: Any, project_id: int, kept: ProjectStatuses | None = None
) -> dict[str, Invoiced]:
    """Commitment id -> its requisitions (not deleted) in the project, listed once per ``kept`` (a run's;
    None: read now). The list is filtered by nothing Procore does not document: the project is a
    parameter, and the status is checked here, as whether ``filters[status]`` takes several values is
    unconfirmed."""
    pid = int(project_id)
    if kept is not None and pid in kept:
        return kept[pid]
    found: dict[str, Invoiced] = {}
    for row in session.rows_of(
        f"{API}/requisitions", {"project_id": pid}, what=f"list requisitions of project {pid}"
    ):
        if row.get("deleted_at") or row.get("commitment_id") is None:
            continue
        invoiced = found.setdefault(str(row["commitment_id"]), Invoiced())
        invoiced.statuses.add(str(row.get("status") or "").lower())
        invoiced.kind = invoiced.kind or row.get("commitment_type")
    if kept is not None:
        kept[pid] = found
    return found


def invoiced_kinds(kept: ProjectStatuses) -> dict[str, str]:
    """Commitment id -> its type, for those whose requisitions listed so far (``kept``) name it."""
    return {key: one.kind for listed in kept.values() for key, one in listed.items() if one.kind}


def has_approved_requisition(
    session: Any,
    project_id: int,
    commitment_id: str,
    approved: Iterable[str],
    kept: ProjectStatuses | None = None,
) -> bool:
    """Whether the commitment's project lists a requisition of it, not deleted, whose status is one of
    ``approved`` (lower case); the project's list read once per ``kept`` (``requisition_statuses``)."""
    invoiced = requisition_statuses(session, project_id, kept).get(str(commitment_id))
    return invoiced is not None and bool(invoiced.statuses & set(approved))
