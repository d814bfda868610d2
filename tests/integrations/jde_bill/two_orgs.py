"""The BILL simulator with two organizations, for a second JDE -> BILL instance: the default one
(``jde_bill``, organization ``00801SANDBOXORG00001``) and ``jde_bill_west`` (``00801SANDBOXORG00002``, JDE
company 00200). Each organization is seeded with classifications of its own: the same names, other ids, so
each instance has its own mapping tables (``jde_bill_sandbox_tables``)."""

from __future__ import annotations

from typing import Any

from jde_bill_sandbox_tables import ORG_1, ORG_2
from sandbox_logins import LOGINS

from connector_resources.bill import BillResource
from connector_sandbox.bill import BillSandboxSettings
from connector_sandbox.bill.settings import Organization

WEST = Organization(id=ORG_2, name="ML Connector Sandbox Org West")


def with_two_organizations(settings: BillSandboxSettings) -> BillSandboxSettings:
    """``settings`` (those a test serves BILL with) with two organizations: their first, organization 1 as
    today, then ``WEST``. Validated again, so a first organization other than 1 is refused here."""
    first = settings.organizations[0]
    if first.id != ORG_1:
        raise ValueError(f"the first organization is {first.id}, not {ORG_1}")
    return type(settings).model_validate({**settings.model_dump(), "organizations": (first, WEST)})


def bill_in(base_url: str, organization_id: str, **fields: Any) -> BillResource:
    """The project's BILL client on the simulator at ``base_url``, logged in to ``organization_id``."""
    return BillResource(
        base_url=base_url, **{**LOGINS[BillResource], "organization_id": organization_id, **fields}
    )
