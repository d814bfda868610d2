"""What the connector reads from Procore, declared as data: one ``EntitySpec`` per entity.

Each entity says where its records live (company or project scope), which list endpoints hold them,
whether those endpoints take ``filters[updated_at]`` (only where the reference documents it: sending
an undocumented filter may be ignored, or refused with a 400, depending on the server), and how to
GET one record. ``ProcoreSession.iter_changed`` turns a spec into the cheapest exact read:

==========================  ===========================================================================
entity                      how changes in [start, end) are found
==========================  ===========================================================================
vendors                     ``filters[updated_at]`` on ``/vendors`` (active vendors) **and**
                            ``/companies/{id}/vendors/inactive``, which documents no filter, only ``sort``
                            (SDK): asked ``sort=-updated_at`` and read newest first until a page ends
                            before the window (once the order is seen, not assumed), else whole. A vendor
                            deactivated in the window leaves the active list, so both are read and
                            de-duplicated by id.
projects                    ``filters[updated_at]`` on ``/projects?company_id=`` (SDK:
                            rest_v10_projects_get documents it). Which projects are *read* (every
                            permitted one) is ``ProcoreSession.projects``, listed whole once per run.
commitments                 ``filters[updated_at]`` on ``/purchase_order_contracts`` and
                            ``/work_order_contracts`` per project, ``view=extended`` (the default
                            compact view may leave money out) and ``filters[include_deleted]=with``
                            (soft-deleted commitments vanish otherwise). 2 calls per project.
requisitions                ``filters[updated_at]`` on ``/requisitions`` per project. 1 call per project.
commitment_change_orders    no ``updated_at`` filter and no paging (reference §2.6): one call per project
                            returns the project's change orders, filtered here. ``sort=-updated_at`` is
                            sent (sorting is documented there) so a server that does paginate lets the
                            read stop at the first page older than the window (checked, not assumed).
cost_codes                  no ``updated_at`` filter and no documented sort: every page of every
                            project is read and filtered here (cost codes are few per project).
budget_line_items           no list endpoint in v1.0 (§2.8): the project's first budget view's detail
                            rows (one per line; every view shows the same lines) are read in full and
                            filtered here. 1 call for the views + the detail pages, per project.
==========================  ===========================================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from connector_resources.declared import by_name

API = "/rest/v1.0"

Scope = Literal["company", "project"]


@dataclass(frozen=True)
class ListSource:
    """One list endpoint of an entity.

    ``path`` and ``params`` values may use ``{company_id}``, ``{project_id}`` and
    ``{budget_view_id}``. ``date_filter``: send ``filters[updated_at]``. ``paginated``: send
    ``page``/``per_page`` (an endpoint that does not paginate is still followed if it sends a
    ``Link``). ``sort``: a newest-first sort to request, enabling an early stop when the server is
    seen to honour it. ``tags``: keys added to every row (which kind of commitment it is). ``optional``:
    a 404 means "this server has no such list" (warned once, skipped) rather than an error.
    """

    path: str
    params: Mapping[str, str] = field(default_factory=dict)
    date_filter: bool = False
    paginated: bool = True
    sort: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    optional: bool = False


@dataclass(frozen=True)
class GetPath:
    """How to GET one record: ``path`` with ``{id}``, the scope parameters, and the row tags."""

    path: str
    params: Mapping[str, str] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class EntitySpec:
    """An entity the connector reads. ``key_field`` identifies a record (budget detail rows carry
    ``budget_line_item_id``, else ``id``); ``updated_field`` is the change-detection stamp.
    ``change_feed`` says whether the reference documents that stamp for the entity, so that it can be
    polled as a day-partitioned change feed; an entity without one is read whole (``iter_all``)."""

    name: str
    scope: Scope
    sources: tuple[ListSource, ...]
    gets: tuple[GetPath, ...]
    updated_field: str = "updated_at"
    key_field: str = "id"
    change_feed: bool = True

    @property
    def keys(self) -> tuple[str, ...]:
        """The fields that identify a record, first present wins (as ``ProcoreSession._key`` reads)."""
        return tuple(dict.fromkeys((self.key_field, "id")))


_COMPANY = {"company_id": "{company_id}"}
_PROJECT = {"project_id": "{project_id}"}
_PO = {"_commitment_type": "PurchaseOrderContract"}
_WO = {"_commitment_type": "WorkOrderContract"}
_COMMITMENT_LIST = {**_PROJECT, "view": "extended", "filters[include_deleted]": "with"}
_SCOPE_PARAMS: dict[Scope, Mapping[str, str]] = {"company": _COMPANY, "project": _PROJECT}


def _listed(name: str, scope: Scope, *, date_filter: bool = False) -> EntitySpec:
    """An entity with one list, ``/rest/v1.0/<name>``, and its records at ``/rest/v1.0/<name>/{id}``, both
    asked with the scope's id as a parameter."""
    params = _SCOPE_PARAMS[scope]
    return EntitySpec(
        name,
        scope,
        sources=(ListSource(f"{API}/{name}", params, date_filter=date_filter),),
        gets=(GetPath(f"{API}/{name}/{{id}}", params),),
    )


ENTITY_SPECS: dict[str, EntitySpec] = by_name(
    EntitySpec(
        "vendors",
        "company",
        sources=(
            ListSource(f"{API}/vendors", _COMPANY, date_filter=True),
            # No company_id parameter and no filters, a sort (SDK): newest first, each row's stamp decides.
            ListSource(f"{API}/companies/{{company_id}}/vendors/inactive", optional=True, sort="-updated_at"),
        ),
        gets=(GetPath(f"{API}/vendors/{{id}}", _COMPANY),),
    ),
    _listed("projects", "company", date_filter=True),
    EntitySpec(
        "commitments",
        "project",
        sources=(
            ListSource(f"{API}/purchase_order_contracts", _COMMITMENT_LIST, date_filter=True, tags=_PO),
            ListSource(f"{API}/work_order_contracts", _COMMITMENT_LIST, date_filter=True, tags=_WO),
        ),
        gets=(
            GetPath(f"{API}/purchase_order_contracts/{{id}}", _PROJECT, tags=_PO),
            GetPath(f"{API}/work_order_contracts/{{id}}", _PROJECT, tags=_WO),
        ),
    ),
    _listed("requisitions", "project", date_filter=True),
    EntitySpec(
        "commitment_change_orders",
        "project",
        sources=(
            ListSource(
                f"{API}/projects/{{project_id}}/commitment_change_orders",
                paginated=False,
                sort="-updated_at",
            ),
        ),
        gets=(GetPath(f"{API}/projects/{{project_id}}/commitment_change_orders/{{id}}"),),
    ),
    _listed("cost_codes", "project"),
    EntitySpec(
        "budget_line_items",
        "project",
        sources=(ListSource(f"{API}/budget_views/{{budget_view_id}}/detail_rows", _PROJECT),),
        gets=(GetPath(f"{API}/budget_line_items/{{id}}", _PROJECT),),
        key_field="budget_line_item_id",
        # §2.8 lists the budget line item fields and no updated_at: read whole, never by day.
        change_feed=False,
    ),
)

# entity -> the fields that identify a record, first present wins. Every record the reference
# documents carries ``id`` (§2.3-§2.8); budget detail rows name their line ``budget_line_item_id``.
KEYS: dict[str, tuple[str, ...]] = {name: spec.keys for name, spec in ENTITY_SPECS.items()}
# Entities with a documented change stamp (polled by day) and without one (read whole).
CHANGE_ENTITIES: dict[str, str] = {n: s.updated_field for n, s in ENTITY_SPECS.items() if s.change_feed}
SNAPSHOT_ENTITIES: tuple[str, ...] = tuple(n for n, s in ENTITY_SPECS.items() if not s.change_feed)

# Webhook resource names (reference §2.10) -> the entity a delivery is about. Names beyond the
# documented Company/Project Vendors are the reference's unconfirmed guesses; query
# ``ProcoreWebhooks.resources()`` on a real company before relying on them.
RESOURCE_ENTITIES: dict[str, str] = {
    "Company Vendors": "vendors",
    "Project Vendors": "vendors",
    "Projects": "projects",
    "Purchase Order Contracts": "commitments",
    "Work Order Contracts": "commitments",
    "Purchase Order Contract Line Items": "commitments",
    "Work Order Contract Line Items": "commitments",
    "Requisitions": "requisitions",
    "Commitment Change Orders": "commitment_change_orders",
    "Cost Codes": "cost_codes",
    "Budget Line Items": "budget_line_items",
}
