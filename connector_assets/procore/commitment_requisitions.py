"""Whether Procore shows an approved requisition of a commitment: a flow that makes an ERP order only for a
commitment someone has invoiced and approved asks it before writing an order nothing of the day named."""

from collections.abc import Iterable
from typing import Any

from connector_resources.procore.entities import API


def has_approved_requisition(
    session: Any, project_id: int, commitment_id: str, approved: Iterable[str]
) -> bool:
    """Whether the commitment's project lists a requisition of it, not deleted, whose status is one of
    ``approved`` (lower case). One list call (``filters[commitment_id]``, reference §2.5); the status is
    checked here, as whether ``filters[status]`` takes several values is unconfirmed."""
    wanted = set(approved)
    rows = session.rows_of(
        f"{API}/requisitions",
        {"project_id": int(project_id), "filters[commitment_id]": int(commitment_id)},
        what=f"list requisitions of commitment {commitment_id} of project {project_id}",
    )
    return any(
        str(row.get("commitment_id")) == str(commitment_id)
        and not row.get("deleted_at")
        and str(row.get("status") or "").lower() in wanted
        for row in rows
    )
