"""Seeds the simulated Procore company: deterministic for (seed, scale, anchor date), consistent across
resources, bounded in memory.

Scale 1 gives hundreds of vendors and a dozen projects with ~1,500 commitments and their schedules of
values, change orders, subcontractor invoices, cost codes and budgets. Master data (projects, vendors)
grows with the square root of larger scales, transactions linearly. Commitments are generated and
inserted one project at a time, so memory stays bounded by a project, not by the company.

What a client must survive is built in on purpose: non-ASCII and maximum-length names, ids above 2**31
and 2**32, ~15 % of every table sharing one ``updated_at`` (a mass update three weeks before the anchor)
and ~10 % a dozen nightly 18:00:00 stamps (long runs of equal cursor values), soft-deleted commitments,
inactive vendors, a project the app may not see, origin ids owned by another integration, invoices
locked by an ERP sync, and money as strings on commitments but floats on budget lines.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from connector_sandbox import seeding
from connector_sandbox.seeding import SeedReport, seed_kept_anchored

from . import change_order_lines
from .generator import Generator, ProjectRefs, fit
from .settings import ProcoreSandboxSettings
from .store import Store
from .vocabulary import (
    COST_CODE_DIVISIONS,
    HUMAN_USERS,
    LINE_ITEM_TYPES,
    MAX_LENGTH_VENDOR_STEMS,
    MAX_LENGTHS,
    PROJECTS,
    SIGNATURE_VENDORS,
    STREETS,
    TRADES,
)

# First ids per table. Some start just below 2**31 or 2**32 so those limits are crossed in the data;
# project ids look like the 2**49-based ids of Procore's newer zones.
FIRST_IDS = {
    "users": 7_100_100,
    "projects": 562_949_953_432_100,
    "trades": 40_100,
    "vendors": 5_512_000,
    "standard_cost_code_lists": 880_100,
    "standard_cost_codes": 8_800_000,
    "line_item_types": 2_170_000,
    "cost_codes": 9_100_000,
    "commitments": 881_000,
    "commitment_line_items": 2_147_483_000,
    "change_order_packages": 660_000,
    "commitment_change_orders": 770_000,
    "commitment_change_order_line_items": 6_442_450_000,
    "billing_periods": 117_000,
    "requisitions": 1_280_000,
    "requisition_items": 4_294_966_000,
    "budget_views": 210_000,
    "budget_line_items": 3_221_225_000,
}


# A record no ERP sync has touched: the origin columns an integration writes back are all empty.
NO_ORIGIN: dict[str, Any] = {
    "origin_id": None,
    "origin_code": None,
    "origin_data": None,
    "origin_owner": None,
}


def erp_origin(synced: bool, origin_id: str, origin_code: str | None, owner: str) -> dict[str, Any]:
    """The origin columns the ERP integration wrote back on a synced record; empty when never synced."""
    if not synced:
        return dict(NO_ORIGIN)
    return {"origin_id": origin_id, "origin_code": origin_code, "origin_data": None, "origin_owner": owner}


def requisition_header(
    company_id: int, commitment: Mapping[str, Any], number: int, period: Mapping[str, Any]
) -> dict[str, Any]:
    """The columns of a pay application that follow from its commitment, number and billing period."""
    return {
        "company_id": company_id,
        "project_id": commitment["project_id"],
        "commitment_id": commitment["id"],
        "number": number,
        "invoice_number": f"INV-{commitment['number']}-{number:02d}",
        "period_id": period["id"],
        "billing_date": period["end_date"],
        "requisition_start": period["start_date"],
        "requisition_end": period["end_date"],
    }


SeedPlan = seeding.seed_plan(
    projects=seeding.master_data(12, at_least=4),
    vendors=seeding.master_data(600, at_least=len(SIGNATURE_VENDORS) + len(MAX_LENGTH_VENDOR_STEMS) + 12),
    commitments=seeding.transactions(1500, at_least=24),
)


@dataclass
class Ids:
    counters: dict[str, int] = field(default_factory=lambda: dict(FIRST_IDS))

    def take(self, table: str) -> int:
        value = self.counters[table]
        self.counters[table] = value + 1
        return value


# Bumped when the seeded tables change: a kept file of another layout is refused (``seed_kept``).
SEED_LAYOUT = 1


def seed(store: Store, settings: ProcoreSandboxSettings) -> SeedReport:
    """The company's data, unless ``store`` is a kept file already seeded so (``seed_kept``)."""
    return seed_kept_anchored(store, settings, SEED_LAYOUT, _fill)


def _fill(store: Store, settings: ProcoreSandboxSettings, anchor: dt.date) -> None:
    """Fill an empty ``store`` with the data this (seed, scale, anchor) produces: the first company's,
    then each further seeded company's (``seeded_companies``) from its own random stream, so the first
    company's data is the same however many companies are seeded; ids run on across companies."""
    plan = SeedPlan.for_scale(settings.scale)
    ids = Ids()
    owner = settings.clients[0].client_id
    for index, company_id in enumerate(settings.seeded_company_ids):
        rng = random.Random(settings.seed if index == 0 else settings.seed * 1_000_003 + index)
        gen = Generator(rng, anchor, company_id, owner)
        _seed_company_data(store, settings if index == 0 else None, gen, ids, plan)


def _seed_company_data(
    store: Store, settings: ProcoreSandboxSettings | None, gen: Generator, ids: Ids, plan: Any
) -> None:
    """One company's data; ``settings`` given for the first one, which also seeds the companies and
    users tables."""
    with store.transaction():
        if settings is not None:
            _seed_company(store, settings)
        trade_ids = _seed_trades(store, gen, ids)
        type_ids = _seed_line_item_types(store, gen, ids)
        vendor_ids = _seed_vendors(store, gen, ids, plan, trade_ids)
        standard = _seed_standard_cost_codes(store, gen, ids)
    active_vendors = [vid for vid, active in vendor_ids if active]
    all_vendor_ids = [vid for vid, _ in vendor_ids]
    project_vendors: dict[int, set[int]] = {}
    for project in _seed_projects(store, gen, ids, plan, standard):
        share = plan.commitments // plan.projects
        with store.transaction():
            _seed_project_commitments(
                store, gen, ids, project, share, active_vendors, all_vendor_ids, type_ids
            )
            _seed_budget(store, gen, ids, project, type_ids)
        project_vendors[project.id] = project.vendors
    _link_vendor_projects(store, project_vendors)


def _seed_company(store: Store, settings: ProcoreSandboxSettings) -> None:
    store.insert_many(
        "companies",
        [
            {
                "id": c.id,
                "name": c.name,
                "is_active": 1,
                "connected": 1 if c.connected or c.id in settings.seeded_company_ids else 0,
            }
            for c in settings.companies
        ],
    )
    users = [
        {
            "id": client.service_account_user_id,
            "company_id": settings.company_id,
            "name": client.service_account_name,
            "login": f"{client.client_id}@dmsa.procore.invalid",
            "is_service_account": 1,
        }
        for client in settings.clients
    ]
    users += [
        {
            "id": FIRST_IDS["users"] + index,
            "company_id": settings.company_id,
            "name": name,
            "login": login,
            "is_service_account": 0,
        }
        for index, (name, login) in enumerate(HUMAN_USERS)
    ]
    store.insert_many("users", users)


def _seed_trades(store: Store, gen: Generator, ids: Ids) -> list[int]:
    rows = []
    for name in TRADES:
        created, updated = gen.stamper.pair()
        rows.append(
            {
                "id": ids.take("trades"),
                "company_id": gen.company_id,
                "name": name,
                "created_at": created,
                "updated_at": updated,
            }
        )
    store.insert_many("trades", rows)
    return [row["id"] for row in rows]


def _seed_line_item_types(store: Store, gen: Generator, ids: Ids) -> dict[str, int]:
    rows = []
    for name, code, base_type in LINE_ITEM_TYPES:
        created, updated = gen.stamper.pair()
        rows.append(
            {
                "id": ids.take("line_item_types"),
                "company_id": gen.company_id,
                "name": name,
                "code": code,
                "base_type": base_type,
                "origin_id": f"JDE-CT-{code}",
                "origin_code": code,
                "origin_data": None,
                "origin_owner": gen.owner_client,
                "created_at": created,
                "updated_at": updated,
            }
        )
    store.insert_many("line_item_types", rows)
    return {row["code"]: row["id"] for row in rows}


def _seed_vendors(
    store: Store, gen: Generator, ids: Ids, plan: SeedPlan, trade_ids: list[int]
) -> list[tuple[int, bool]]:
    rows = []
    for index in range(plan.vendors):
        created, updated = gen.stamper.pair()
        row = gen.vendor(index, created, updated, sorted(gen.rng.sample(trade_ids, gen.rng.randint(0, 2))))
        row["id"] = ids.take("vendors")
        if index > 30 and gen.rng.random() < 0.03:
            row["parent_id"] = rows[gen.rng.randrange(0, 20)]["id"]
        rows.append(row)
    # A maximum-length origin id, and every signature vendor active so clients always meet them.
    rows[len(SIGNATURE_VENDORS)]["origin_id"] = fit("JDE-V-MAXLEN-", MAX_LENGTHS["origin_id"])
    for row in rows[: len(SIGNATURE_VENDORS)]:
        row["is_active"] = 1
    store.insert_many("vendors", rows)
    return [(row["id"], bool(row["is_active"])) for row in rows]


def _seed_standard_cost_codes(store: Store, gen: Generator, ids: Ids) -> list[tuple[str, str, int, list]]:
    """The company's standard list; returns [(division code, name, std id, [(code, name, std id)])]."""
    created, updated = gen.stamper.pair()
    list_id = ids.take("standard_cost_code_lists")
    store.insert_many(
        "standard_cost_code_lists",
        [
            {
                "id": list_id,
                "company_id": gen.company_id,
                "name": "Procore Standard Cost Code List",
                "created_at": created,
                "updated_at": updated,
            }
        ],
    )
    result, rows = [], []
    for position, (division, division_name, children) in enumerate(COST_CODE_DIVISIONS):
        division_id = ids.take("standard_cost_codes")
        rows.append(
            _standard_row(gen, division_id, list_id, division, division, division_name, None, position)
        )
        kids = []
        for child_position, (code, name) in enumerate(children):
            child_id = ids.take("standard_cost_codes")
            full = f"{division}-{code}"
            rows.append(_standard_row(gen, child_id, list_id, code, full, name, division_id, child_position))
            kids.append((code, name, child_id))
        result.append((division, division_name, division_id, kids))
    store.insert_many("standard_cost_codes", rows)
    return result


def _standard_row(
    gen: Generator, row_id: int, list_id: int, code: str, full: str, name: str, parent: int | None, pos: int
) -> dict[str, Any]:
    created, updated = gen.stamper.pair()
    return {
        "id": row_id,
        "company_id": gen.company_id,
        "list_id": list_id,
        "code": code,
        "full_code": full,
        "name": name,
        "parent_id": parent,
        "position": pos,
        **NO_ORIGIN,
        "created_at": created,
        "updated_at": updated,
    }


def _seed_projects(
    store: Store, gen: Generator, ids: Ids, plan: SeedPlan, standard: list[tuple[str, str, int, list]]
) -> Iterator[ProjectRefs]:
    """Projects with their cost codes and billing periods; yields one at a time for the commitments."""
    rng = gen.rng
    for index in range(plan.projects):
        name, city, state, zip_code, country, currency = PROJECTS[index % len(PROJECTS)]
        if index >= len(PROJECTS):
            name = f"{name} Phase {index // len(PROJECTS) + 1}"
        number = str(1001 + index)
        created, updated = gen.stamper.pair(oldest_days=1000)
        project_id = ids.take("projects")
        synced = index % 5 != 4
        row = {
            "id": project_id,
            "company_id": gen.company_id,
            "name": name,
            "display_name": f"{number} - {name}",
            "project_number": number,
            # The second-to-last project is closed out (inactive); the last one is not permitted for the
            # app (an admin never added it to the DMSA's permitted projects).
            "active": 0 if index == plan.projects - 2 else 1,
            "permitted": 0 if index == plan.projects - 1 else 1,
            "address": f"{rng.randint(100, 9999)} {rng.choice(STREETS)}",
            "city": city,
            "state_code": state,
            "zip": zip_code,
            "country_code": country,
            "currency_iso_code": currency,
            **erp_origin(synced, f"JDE-JOB-{number}", number, gen.owner_client),
            "created_at": created,
            "updated_at": updated,
        }
        with store.transaction():
            store.insert("projects", row)
            leaves = _seed_project_cost_codes(store, gen, ids, project_id, number, standard, synced)
            periods = _seed_billing_periods(store, gen, ids, project_id)
            _seed_budget_views(store, gen, ids, project_id)
        yield ProjectRefs(project_id, number, currency, leaves, periods)


def _seed_project_cost_codes(
    store: Store,
    gen: Generator,
    ids: Ids,
    project_id: int,
    number: str,
    standard: list[tuple[str, str, int, list]],
    synced: bool,
) -> list[tuple[int, str]]:
    rows, leaves = [], []

    def row(code: str, full: str, name: str, parent: int | None, position: int, std_id: int) -> dict:
        created, updated = gen.stamper.pair()
        return {
            "id": ids.take("cost_codes"),
            "company_id": gen.company_id,
            "project_id": project_id,
            "sub_job_id": None,
            "code": code,
            "full_code": full,
            "name": name,
            "parent_id": parent,
            "position": position,
            "standard_cost_code_id": std_id,
            "budgeted": 0,
            **erp_origin(synced, f"JDE-CC-{number}.{full}", full, gen.owner_client),
            "created_at": created,
            "updated_at": updated,
            "deleted_at": None,
        }

    for position, (division, division_name, std_id, children) in enumerate(standard):
        parent = row(division, division, division_name, None, position, std_id)
        rows.append(parent)
        for child_position, (code, name, child_std) in enumerate(children):
            child = row(code, f"{division}-{code}", name, parent["id"], child_position, child_std)
            rows.append(child)
            leaves.append((child["id"], child["full_code"]))
    store.insert_many("cost_codes", rows)
    return leaves


def _seed_billing_periods(store: Store, gen: Generator, ids: Ids, project_id: int) -> list[dict[str, Any]]:
    first_of_month = gen.anchor.replace(day=1)
    rows = []
    for back in range(35, -1, -1):
        year, month = divmod(first_of_month.year * 12 + first_of_month.month - 1 - back, 12)
        start = dt.date(year, month + 1, 1)
        end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        rows.append(
            {
                "id": ids.take("billing_periods"),
                "project_id": project_id,
                "position": 36 - back,
                "start_date": start.isoformat(),
                "end_date": end.isoformat(),
                "due_date": (end - dt.timedelta(days=5)).isoformat(),
            }
        )
    store.insert_many("billing_periods", rows)
    return rows


def _seed_budget_views(store: Store, gen: Generator, ids: Ids, project_id: int) -> None:
    rows = []
    for name, description in (
        ("Procore Standard Budget", "Original, revised and projected budget"),
        ("ERP Forecast View", "Budget with forecast to complete, as the ERP sees it"),
    ):
        created, updated = gen.stamper.pair()
        rows.append(
            {
                "id": ids.take("budget_views"),
                "project_id": project_id,
                "name": name,
                "description": description,
                "created_at": created,
                "updated_at": updated,
            }
        )
    store.insert_many("budget_views", rows)


def _seed_project_commitments(
    store: Store,
    gen: Generator,
    ids: Ids,
    project: ProjectRefs,
    count: int,
    active_vendors: list[int],
    all_vendors: list[int],
    type_ids: dict[str, int],
) -> None:
    rng = gen.rng
    commitments, lines, cos, packages, requisitions, items = [], [], [], [], [], []
    co_lines: list[dict[str, Any]] = []
    for sequence in range(1, count + 1):
        kind = "PurchaseOrderContract" if rng.random() < 0.6 else "WorkOrderContract"
        vendor_id = rng.choice(active_vendors if rng.random() < 0.95 else all_vendors)
        created, updated = gen.stamper.pair(oldest_days=700)
        commitment = gen.commitment(project, kind, sequence, vendor_id, created, updated)
        commitment["id"] = ids.take("commitments")
        if commitment["origin_id"]:
            # The JDE order number must be unique in the company, not just in the project.
            doco = 700_000 + commitment["id"] - FIRST_IDS["commitments"]
            commitment["origin_id"] = f"{commitment['origin_id'].rsplit('-', 1)[0]}-{doco}"
            commitment["origin_code"] = str(doco)
        if commitment["status"] == "Draft" and rng.random() < 0.15:
            commitment["deleted_at"] = updated  # soft-deleted drafts
        project.vendors.add(vendor_id)
        own_lines = []
        for position in range(1, rng.randint(1, 8) + 1):
            line = gen.line_item(commitment, position, rng.choice(project.leaf_cost_codes), type_ids)
            line["id"] = ids.take("commitment_line_items")
            own_lines.append(line)
        lines += own_lines
        commitments.append(commitment)
        if commitment["status"] in {"Approved", "Complete"}:
            own_cos = _change_orders_for(gen, ids, commitment, own_lines, packages)
            cos += own_cos
            co_lines += _change_order_lines_for(ids, own_cos, own_lines, project)
            if commitment["requisitions_are_enabled"]:
                paid = _requisitions_for(gen, ids, commitment, own_lines, project, requisitions, items)
                commitment["total_payments_cents"] = paid
    # One commitment with maximum-length number and title, for clients that truncate.
    if commitments:
        commitments[0]["title"] = fit("Rohbauarbeiten Los 1 – Fundamente, Bodenplatte ", MAX_LENGTHS["title"])
    store.insert_many("commitments", commitments)
    store.insert_many("commitment_line_items", lines)
    store.insert_many("change_order_packages", packages)
    store.insert_many("commitment_change_orders", cos)
    store.insert_many(change_order_lines.TABLE, co_lines)
    store.insert_many("requisitions", requisitions)
    store.insert_many("requisition_items", items)


def _change_orders_for(
    gen: Generator,
    ids: Ids,
    commitment: dict[str, Any],
    lines: list[dict[str, Any]],
    packages: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    rng = gen.rng
    if rng.random() >= 0.35:
        return []
    rows = []
    for number in range(1, rng.randint(1, 3) + 1):
        created, updated = gen.stamper.pair(oldest_days=600)
        status = rng.choices(("draft", "pending", "approved", "rejected", "void"), (10, 20, 55, 10, 5))[0]
        base = sum(line["amount_cents"] for line in lines)
        amount = int(base * rng.uniform(-0.05, 0.15))
        title = rng.choice(("Added scope", "Design revision", "Unforeseen rock", "Owner upgrade", "Credit"))
        package_id = ids.take("change_order_packages")
        packages.append(
            {
                "id": package_id,
                "company_id": gen.company_id,
                "project_id": commitment["project_id"],
                "contract_id": commitment["id"],
                "number": f"{number:03d}",
                "title": title,
                "status": status,
                "created_at": created,
                "updated_at": updated,
                "deleted_at": None,
            }
        )
        rows.append(
            {
                "id": ids.take("commitment_change_orders"),
                "company_id": gen.company_id,
                "project_id": commitment["project_id"],
                "contract_id": commitment["id"],
                "package_id": package_id,
                "batch_id": None,
                "number": f"{number:03d}",
                "title": title,
                "description": None,
                "status": status,
                "grand_total_cents": amount,
                "executed": 1 if status == "approved" else 0,
                "paid": 0,
                "due_date": None,
                "invoiced_date": None,
                "reviewed_at": updated if status in {"approved", "rejected"} else None,
                "created_by_id": FIRST_IDS["users"] + rng.randrange(len(HUMAN_USERS)),
                "change_reason": rng.choice(("Client Request", "Design Development", "Unforeseen Condition")),
                "created_at": created,
                "updated_at": updated,
                "deleted_at": None,
            }
        )
    return rows


def _change_order_lines_for(
    ids: Ids,
    change_orders: list[dict[str, Any]],
    commitment_lines: list[dict[str, Any]],
    project: ProjectRefs,
) -> list[dict[str, Any]]:
    """The line items of a commitment's change orders (their own generator: the seed's main stream,
    and so every other table, is what it was before lines existed)."""
    rows = []
    leaves = [cost_code_id for cost_code_id, _ in project.leaf_cost_codes]
    for change_order in change_orders:
        for row in change_order_lines.line_rows(change_order, commitment_lines, leaves):
            row["id"] = ids.take(change_order_lines.TABLE)
            rows.append(row)
    return rows


def _requisitions_for(
    gen: Generator,
    ids: Ids,
    commitment: dict[str, Any],
    lines: list[dict[str, Any]],
    project: ProjectRefs,
    requisitions: list[dict[str, Any]],
    items: list[dict[str, Any]],
) -> int:
    """Sequential pay applications; returns the payments made (cents) for the commitment's total."""
    rng = gen.rng
    count = rng.choices((0, 1, 2, 3, 4, 5), (15, 20, 25, 20, 12, 8))[0]
    if count == 0:
        return 0
    periods = project.periods[-(count + 1) : -1]
    previous = {line["id"]: 0 for line in lines}
    paid_total = 0
    retainage = commitment["retainage_percent"]
    for number, period in enumerate(periods, start=1):
        is_last = number == len(periods)
        status = (
            rng.choice(("draft", "under_review", "revise_and_resubmit", "approved", "pending_owner_approval"))
            if is_last
            else "approved"
        )
        created, updated = gen.stamper.pair(oldest_days=90)
        requisition_id = ids.take("requisitions")
        this_period_total = 0
        for line in lines:
            remaining = line["amount_cents"] - previous[line["id"]]
            work = min(remaining, int(line["amount_cents"] * rng.uniform(0.05, 0.35)))
            stored = int(work * 0.1) if rng.random() < 0.2 else 0
            items.append(
                {
                    "id": ids.take("requisition_items"),
                    "requisition_id": requisition_id,
                    "line_item_id": line["id"],
                    "cost_code_id": line["cost_code_id"],
                    "description": line["description"],
                    "scheduled_value_cents": line["amount_cents"],
                    "previous_work_cents": previous[line["id"]],
                    "work_completed_this_period_cents": work,
                    "materials_presently_stored_cents": stored,
                    "retainage_percent": retainage,
                    "created_at": created,
                    "updated_at": updated,
                }
            )
            previous[line["id"]] += work
            this_period_total += work + stored
        synced = status == "approved" and rng.random() < 0.5
        payment_date = None
        if synced and not is_last:
            payment_date = period["end_date"]
            paid_total += this_period_total - int(this_period_total * float(retainage) / 100)
        requisitions.append(
            {
                "id": requisition_id,
                **requisition_header(gen.company_id, commitment, number, period),
                "status": status,
                "erp_status": "synced" if synced else None,
                "submitted_at": updated if status != "draft" else None,
                "payment_date": payment_date,
                "final": 0,
                **erp_origin(synced, f"JDE-INV-{requisition_id}", None, gen.owner_client),
                "created_at": created,
                "updated_at": updated,
                "deleted_at": None,
            }
        )
    return paid_total


def _seed_budget(
    store: Store, gen: Generator, ids: Ids, project: ProjectRefs, type_ids: dict[str, int]
) -> None:
    rng = gen.rng
    rows = []
    for cost_code_id, _ in project.leaf_cost_codes:
        if rng.random() < 0.25:
            continue
        for type_code in rng.sample(("L", "M", "S", "E"), rng.randint(1, 2)):
            created, updated = gen.stamper.pair(oldest_days=900)
            original = round(rng.uniform(5_000, 2_500_000), 2)
            approved = round(original * rng.choice((0, 0, 0.02, 0.05, -0.01)), 2)
            rows.append(
                {
                    "id": ids.take("budget_line_items"),
                    "company_id": gen.company_id,
                    "project_id": project.id,
                    "cost_code_id": cost_code_id,
                    "line_item_type_id": type_ids[type_code],
                    "original_budget_amount": original,
                    "approved_budget_changes": approved,
                    "pending_budget_changes": round(original * rng.choice((0, 0, 0.01)), 2),
                    "direct_costs": round(original * rng.uniform(0, 0.2), 2),
                    "pending_cost_changes": 0.0,
                    "budget_forecast": round(original * rng.uniform(0, 0.4), 2),
                    "uom": None,
                    "quantity": None,
                    "unit_cost": None,
                    "calculation_strategy": "automatic",
                    "currency_iso_code": project.currency,
                    **NO_ORIGIN,
                    "created_at": created,
                    "updated_at": updated,
                }
            )
    store.insert_many("budget_line_items", rows)
    store.execute(
        "UPDATE cost_codes SET budgeted = 1 WHERE id IN "
        "(SELECT DISTINCT cost_code_id FROM budget_line_items WHERE project_id = ?)",
        (project.id,),
    )


def _link_vendor_projects(store: Store, project_vendors: dict[int, set[int]]) -> None:
    """Vendors used on a project are in its directory: fill ``project_ids`` from the commitments."""
    by_vendor: dict[int, list[int]] = {}
    for project_id, vendors in project_vendors.items():
        for vendor_id in vendors:
            by_vendor.setdefault(vendor_id, []).append(project_id)
    with store.transaction() as conn:
        conn.executemany(
            "UPDATE vendors SET project_ids = ? WHERE id = ?",
            [(json.dumps(sorted(projects)), vendor_id) for vendor_id, projects in by_vendor.items()],
        )
