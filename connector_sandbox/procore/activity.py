"""Business activity on demand (``POST /sandbox/activity``): what people do in Procore between two syncs.

New and changed records are all stamped with one shared "now" (``updated_at`` equal to the second), so
a client's cursor meets a burst of equal values, and each change emits the webhook event a person's UI
action would (``source_application_id`` null, a human ``user_id``). Only permitted, active projects are
touched, so the app can see everything the activity made.
"""

from __future__ import annotations

import json
from typing import Any

from connector_sandbox.activity import ActivityCounts, activity_request

from . import change_order_lines
from .api_requisitions import contract_item
from .clock import now_stamp, utc_now
from .generator import Generator, ProjectRefs
from .seed import requisition_header
from .state import SandboxState
from .vocabulary import LOCKED_COMMITMENT_STATUSES

# Only what the app can see: permitted, active projects.
_VISIBLE = "project_id IN (SELECT id FROM projects WHERE permitted = 1 AND active = 1)"


class _OneCompany(ActivityCounts):
    company_id: int | None = None  # default: the first company; any seeded one (``seeded_companies``)


ActivityRequest = activity_request(
    "new_vendors",
    "updated_vendors",
    "deactivated_vendors",
    "new_commitments",
    "updated_commitments",
    "deleted_commitments",
    "new_change_orders",
    "updated_change_orders",
    "new_requisitions",
    "updated_requisitions",
    "updated_cost_codes",
    "updated_budget_line_items",
    base=_OneCompany,
)


class Activity:
    def __init__(self, state: SandboxState, company_id: int | None = None) -> None:
        self.state = state
        self.store = state.store
        self.rng = state.activity_rng
        self.now = now_stamp()
        self.company_id = state.settings.company_id if company_id is None else company_id
        if self.company_id not in state.settings.seeded_company_ids:
            seeded = ", ".join(str(c) for c in state.settings.seeded_company_ids)
            raise ValueError(f"company {self.company_id} has no data (seeded companies: {seeded})")
        self.gen = Generator(self.rng, state.anchor(), self.company_id, state.settings.clients[0].client_id)
        self.result: dict[str, list[int]] = {}

    def _note(self, key: str, record_id: int) -> None:
        self.result.setdefault(key, []).append(record_id)

    def _emit(self, resource: str, event: str, record_id: int, project_id: int | None, **extra: Any) -> None:
        self.state.emit(
            resource,
            event,
            record_id,
            project_id=project_id,
            origin=self.state.human_origin(),
            company_id=self.company_id,
            **extra,
        )

    def _projects(self) -> list[dict[str, Any]]:
        return self.store.all(
            "SELECT * FROM projects WHERE company_id = ? AND permitted = 1 AND active = 1 ORDER BY id",
            (self.company_id,),
        )

    def _sample(self, sql: str, params: tuple, count: int) -> list[dict[str, Any]]:
        rows = self.store.all(sql, params)
        return self.rng.sample(rows, min(count, len(rows)))

    def _sample_visible(
        self, table: str, count: int, condition: str = "", params: tuple = ()
    ) -> list[dict[str, Any]]:
        """Up to ``count`` rows of ``table`` in this company, in projects the app can see, that meet
        ``condition`` (SQL, its ``?`` bound to ``params``)."""
        where = (
            f"company_id = ? AND {condition} AND {_VISIBLE}"
            if condition
            else f"company_id = ? AND {_VISIBLE}"
        )
        return self._sample(f"SELECT * FROM {table} WHERE {where}", (self.company_id, *params), count)

    # -- vendors ---------------------------------------------------------------------------------------

    def new_vendors(self, count: int) -> None:
        trade_ids = [
            row["id"]
            for row in self.store.all("SELECT id FROM trades WHERE company_id = ?", (self.company_id,))
        ]
        base = self.store.scalar("SELECT COUNT(*) FROM vendors")
        for offset in range(count):
            row = self.gen.vendor(
                base + offset + 1000, self.now, self.now, sorted(self.rng.sample(trade_ids, 1))
            )
            row.update(origin_id=None, origin_code=None, origin_owner=None, synced_to_erp=0, is_active=1)
            vendor_id = self.store.insert("vendors", row)
            self._note("new_vendors", vendor_id)
            self._emit("vendor", "create", vendor_id, None)

    def update_vendors(self, count: int, *, deactivate: bool = False) -> None:
        key = "deactivated_vendors" if deactivate else "updated_vendors"
        for row in self._sample(
            "SELECT * FROM vendors WHERE company_id = ? AND is_active = 1", (self.company_id,), count
        ):
            changes: dict[str, Any] = {"updated_at": self.now}
            if deactivate:
                changes["is_active"] = 0
            else:
                changes["business_phone"] = f"+1-503-555-{self.rng.randint(0, 9999):04d}"
                changes["email_address"] = (
                    f"payables{self.rng.randint(1, 99)}@{row['email_address'].split('@')[-1]}"
                )
            self.store.update("vendors", row["id"], changes)
            self._note(key, row["id"])
            self._emit("vendor", "update", row["id"], None)
            for project_id in json.loads(row["project_ids"]):
                self._emit("project_vendor", "update", row["id"], project_id)

    # -- commitments -----------------------------------------------------------------------------------

    def _refs(self, project: dict[str, Any]) -> ProjectRefs:
        leaves = [
            (row["id"], row["full_code"])
            for row in self.store.all(
                "SELECT id, full_code FROM cost_codes WHERE project_id = ? AND parent_id IS NOT NULL "
                "AND deleted_at IS NULL",
                (project["id"],),
            )
        ]
        return ProjectRefs(project["id"], project["project_number"], project["currency_iso_code"], leaves, [])

    def new_commitments(self, count: int) -> None:
        projects = self._projects()
        vendors = [
            row["id"]
            for row in self.store.all(
                "SELECT id FROM vendors WHERE company_id = ? AND is_active = 1", (self.company_id,)
            )
        ]
        types = {
            row["code"]: row["id"]
            for row in self.store.all(
                "SELECT id, code FROM line_item_types WHERE company_id = ?", (self.company_id,)
            )
        }
        for _ in range(count):
            project = self.rng.choice(projects)
            refs = self._refs(project)
            kind = self.rng.choice(("PurchaseOrderContract", "WorkOrderContract"))
            sequence = (
                self.store.scalar("SELECT COUNT(*) FROM commitments WHERE project_id = ?", (project["id"],))
                + 1
            )
            row = self.gen.commitment(refs, kind, sequence, self.rng.choice(vendors), self.now, self.now)
            row.update(
                origin_id=None,
                origin_code=None,
                origin_owner=None,
                status="Draft",
                executed=0,
                issued_on_date=None,
                execution_date=None,
            )
            with self.store.transaction():
                row["id"] = self.store.insert("commitments", row)
                for position in range(1, self.rng.randint(1, 4) + 1):
                    line = self.gen.line_item(row, position, self.rng.choice(refs.leaf_cost_codes), types)
                    self.store.insert("commitment_line_items", line)
            self._note("new_commitments", row["id"])
            self._emit(_resource(kind), "create", row["id"], project["id"])

    def update_commitments(self, count: int) -> None:
        for row in self._sample_visible("commitments", count, "deleted_at IS NULL"):
            changes: dict[str, Any] = {"updated_at": self.now, "description": f"Revised {self.now[:10]}"}
            if row["status"] == "Draft":
                changes.update(status="Approved", executed=1, execution_date=self.now[:10])
            self.store.update("commitments", row["id"], changes)
            self._note("updated_commitments", row["id"])
            self._emit(_resource(row["kind"]), "update", row["id"], row["project_id"])

    def delete_commitments(self, count: int) -> None:
        placeholders = ", ".join("?" for _ in LOCKED_COMMITMENT_STATUSES)
        for row in self._sample_visible(
            "commitments",
            count,
            f"deleted_at IS NULL AND status NOT IN ({placeholders})",
            tuple(sorted(LOCKED_COMMITMENT_STATUSES)),
        ):
            self.store.update("commitments", row["id"], {"deleted_at": self.now, "updated_at": self.now})
            self._note("deleted_commitments", row["id"])
            self._emit(_resource(row["kind"]), "delete", row["id"], row["project_id"])

    # -- change orders ---------------------------------------------------------------------------------

    def new_change_orders(self, count: int) -> None:
        for commitment in self._sample_visible(
            "commitments", count, "status IN ('Approved', 'Complete') AND deleted_at IS NULL"
        ):
            number = f"{self.store.scalar('SELECT COUNT(*) FROM commitment_change_orders WHERE contract_id = ?', (commitment['id'],)) + 1:03d}"  # noqa: E501
            title = self.rng.choice(("Added scope", "Owner upgrade", "Unforeseen condition"))
            with self.store.transaction():
                package_id = self.store.insert(
                    "change_order_packages",
                    {
                        "company_id": self.company_id,
                        "project_id": commitment["project_id"],
                        "contract_id": commitment["id"],
                        "number": number,
                        "title": title,
                        "status": "pending",
                        "created_at": self.now,
                        "updated_at": self.now,
                    },
                )
                change_order_id = self.store.insert(
                    "commitment_change_orders",
                    {
                        "company_id": self.company_id,
                        "project_id": commitment["project_id"],
                        "contract_id": commitment["id"],
                        "package_id": package_id,
                        "number": number,
                        "title": title,
                        "status": "pending",
                        "grand_total_cents": self.rng.randint(10_000, 2_500_000),
                        "created_by_id": self.state.human_origin().user_id,
                        "change_reason": "Client Request",
                        "created_at": self.now,
                        "updated_at": self.now,
                    },
                )
                change_order_lines.add_lines(
                    self.store, self.store.get("commitment_change_orders", change_order_id), self.now
                )
            self._note("new_change_orders", change_order_id)
            self._emit("commitment_change_order", "create", change_order_id, commitment["project_id"])

    def update_change_orders(self, count: int) -> None:
        for row in self._sample_visible(
            "commitment_change_orders", count, "status IN ('draft', 'pending') AND deleted_at IS NULL"
        ):
            changes = {"status": "approved", "executed": 1, "reviewed_at": self.now, "updated_at": self.now}
            self.store.update("commitment_change_orders", row["id"], changes)
            if row["package_id"]:
                self.store.update(
                    "change_order_packages", row["package_id"], {"status": "approved", "updated_at": self.now}
                )
            self._note("updated_change_orders", row["id"])
            self._emit("commitment_change_order", "update", row["id"], row["project_id"])

    # -- requisitions ----------------------------------------------------------------------------------

    def new_requisitions(self, count: int) -> None:
        candidates = self.store.all(
            "SELECT c.* FROM commitments c WHERE c.company_id = ? AND c.status IN ('Approved', 'Complete') "
            f"AND c.requisitions_are_enabled = 1 AND c.deleted_at IS NULL AND c.{_VISIBLE} "
            "AND NOT EXISTS (SELECT 1 FROM requisitions r WHERE r.commitment_id = c.id "
            "AND r.deleted_at IS NULL AND r.status NOT IN ('approved', 'approved_as_noted'))",
            (self.company_id,),
        )
        self.rng.shuffle(candidates)
        made = 0
        for commitment in candidates:
            if made >= count:
                break
            period = self.store.one(
                "SELECT * FROM billing_periods p WHERE p.project_id = ? AND NOT EXISTS (SELECT 1 FROM "
                "requisitions r WHERE r.commitment_id = ? AND r.period_id = p.id "
                "AND r.deleted_at IS NULL) "
                "ORDER BY p.position DESC LIMIT 1",
                (commitment["project_id"], commitment["id"]),
            )
            if period is None:
                continue
            requisition_id = self._insert_requisition(commitment, period)
            made += 1
            self._note("new_requisitions", requisition_id)
            self._emit("requisition", "create", requisition_id, commitment["project_id"])

    def _insert_requisition(self, commitment: dict[str, Any], period: dict[str, Any]) -> int:
        number = self.store.scalar(
            "SELECT COALESCE(MAX(number), 0) + 1 FROM requisitions WHERE commitment_id = ?",
            (commitment["id"],),
        )
        with self.store.transaction():
            requisition_id = self.store.insert(
                "requisitions",
                {
                    **requisition_header(self.company_id, commitment, number, period),
                    "status": "under_review",
                    "submitted_at": self.now,
                    "created_at": self.now,
                    "updated_at": self.now,
                },
            )
            for line in self.store.all(
                "SELECT * FROM commitment_line_items WHERE commitment_id = ? AND deleted_at IS NULL",
                (commitment["id"],),
            ):
                item = contract_item(self.store, requisition_id, commitment, line, self.now)
                remaining = max(0, line["amount_cents"] - item["previous_work_cents"])
                item["work_completed_this_period_cents"] = int(remaining * self.rng.uniform(0.1, 0.4))
                self.store.insert("requisition_items", item)
        return requisition_id

    def update_requisitions(self, count: int) -> None:
        for row in self._sample_visible(
            "requisitions",
            count,
            "deleted_at IS NULL AND origin_id IS NULL AND status NOT IN ('approved', 'approved_as_noted')",
        ):
            self.store.update("requisitions", row["id"], {"status": "approved", "updated_at": self.now})
            self._note("updated_requisitions", row["id"])
            self._emit("requisition", "update", row["id"], row["project_id"])

    # -- cost codes, budget ----------------------------------------------------------------------------

    def update_cost_codes(self, count: int) -> None:
        for row in self._sample_visible("cost_codes", count, "deleted_at IS NULL AND parent_id IS NOT NULL"):
            name = row["name"] if row["name"].endswith(" (rev.)") else f"{row['name']} (rev.)"
            self.store.update("cost_codes", row["id"], {"name": name, "updated_at": self.now})
            self._note("updated_cost_codes", row["id"])
            self._emit("cost_code", "update", row["id"], row["project_id"])

    def update_budget_lines(self, count: int) -> None:
        for row in self._sample_visible("budget_line_items", count):
            forecast = round(row["budget_forecast"] + self.rng.uniform(1_000, 50_000), 2)
            self.store.update(
                "budget_line_items", row["id"], {"budget_forecast": forecast, "updated_at": self.now}
            )
            self._note("updated_budget_line_items", row["id"])
            self._emit("budget_line_item", "update", row["id"], row["project_id"])


def _resource(kind: str) -> str:
    return "purchase_order_contract" if kind == "PurchaseOrderContract" else "work_order_contract"


def make_activity(state: SandboxState, wanted: ActivityRequest) -> dict[str, Any]:
    """Apply the requested activity; returns the shared stamp and the ids touched per kind."""
    activity = Activity(state, wanted.company_id)
    activity.new_vendors(wanted.new_vendors)
    activity.update_vendors(wanted.updated_vendors)
    activity.update_vendors(wanted.deactivated_vendors, deactivate=True)
    activity.new_commitments(wanted.new_commitments)
    activity.update_commitments(wanted.updated_commitments)
    activity.delete_commitments(wanted.deleted_commitments)
    activity.new_change_orders(wanted.new_change_orders)
    activity.update_change_orders(wanted.updated_change_orders)
    activity.new_requisitions(wanted.new_requisitions)
    activity.update_requisitions(wanted.updated_requisitions)
    activity.update_cost_codes(wanted.updated_cost_codes)
    activity.update_budget_lines(wanted.updated_budget_line_items)
    return {"updated_at": activity.now, "at": utc_now().isoformat(), "records": activity.result}
