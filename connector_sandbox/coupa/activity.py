"""Business activity on demand (``POST /sandbox/activity``): what users and suppliers do in Coupa's UI
between two syncs. Every record touched by one call gets the same ``updated-at`` (now), so a client's
cursor meets a fresh tie.

UI changes do not reset ``exported`` unless ``ui_changes_reset_exported`` is on (support's "Reset
Invoice last exported at for every change"); a PO revision always does (it is re-sent).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from connector_sandbox.activity import activity_request

from .erp_numbers import set_number, unused_number
from .factory import DataFactory, money
from .schema import RESOURCES
from .state import SandboxState
from .timefmt import utc_stamp
from .vocabulary import MAX_LENGTH_SUPPLIERS, SIGNATURE_SUPPLIERS
from .writers import find_by

ActivityRequest = activity_request(
    "new_suppliers",
    "updated_suppliers",
    "new_purchase_orders",
    "updated_purchase_orders",
    "new_invoices",
    "updated_invoices",
    "new_payments",
    "updated_payments",
    # Master data changes less, and each change touches many documents: a lower cap.
    base=activity_request("new_accounts", "updated_accounts", "updated_lookup_values", most=1_000),
)


class _Activity:
    def __init__(self, state: SandboxState, now: dt.datetime) -> None:
        self.state = state
        self.store = state.store
        self.factory: DataFactory = state.factory()
        self.rng = self.factory.rng
        self.now = now
        self.stamp = utc_stamp(now)
        self.reset_exported = state.settings.ui_changes_reset_exported
        self.created: dict[str, list[dict[str, Any]]] = {}
        self.updated: dict[str, list[dict[str, Any]]] = {}

    def _sample(self, key: str, where: str, count: int) -> list[dict[str, Any]]:
        if not count:
            return []
        ids = self.store.ids(RESOURCES[key], where)
        chosen = self.rng.sample(ids, k=min(count, len(ids)))
        return [
            doc for doc in (self.store.get(RESOURCES[key], record_id) for record_id in sorted(chosen)) if doc
        ]

    def _save(self, key: str, doc: dict[str, Any], *, new: bool) -> None:
        self.store.save(RESOURCES[key], doc)
        (self.created if new else self.updated).setdefault(key, []).append(doc)

    def _touch(self, doc: dict[str, Any], *, ui_change: bool = True) -> None:
        doc["updated-at"] = self.stamp
        if ui_change and self.reset_exported and "exported" in doc:
            doc["exported"] = False

    # --- suppliers -------------------------------------------------------------------------------

    def new_suppliers(self, count: int) -> None:
        if not count:
            return
        taken = {doc["name"].casefold() for doc in self.store.select(RESOURCES["suppliers"])}
        numbers = [
            int(doc["number"])
            for doc in self.store.select(RESOURCES["suppliers"])
            if str(doc.get("number") or "").isdigit()
        ]
        self.factory._supplier_numbers = max(numbers, default=10_000)
        first = len(SIGNATURE_SUPPLIERS) + len(MAX_LENGTH_SUPPLIERS) + 1
        for index in range(count):
            doc = self.factory.supplier(first + index, self.now, self.now, taken, 6)
            if self.state.erp_numbers and doc["number"] is not None:
                # Numbered from the ERP, as the seeded suppliers were pointed (``erp_numbers``); with every
                # given number taken it waits for one, unnumbered, as a draft.
                number = unused_number(self.store, self.state.erp_numbers)
                if number is None:
                    doc.update(number=None, status="draft", **{"custom-fields": {}})
                else:
                    set_number(doc, number)
            self._save("suppliers", doc, new=True)
        self.state.forget_factory()

    def updated_suppliers(self, count: int) -> None:
        for doc in self._sample("suppliers", "1=1", count):
            change = self.rng.choice(("activate", "contact", "term", "display", "hold"))
            if change == "activate" or doc["status"] == "draft":
                doc["status"] = "active"
            elif change == "contact" and doc.get("primary-contact"):
                doc["primary-contact"]["email"] = (
                    f"ap+{self.rng.randint(1, 999)}@{doc['primary-contact']['email'].split('@')[-1]}"
                )
            elif change == "term":
                doc["payment-term"] = {"id": self.rng.randint(1, 6)}
            elif change == "display":
                doc["display-name"] = f"{doc['name'][:80]} (updated)"
            else:
                doc["on-hold"] = not doc.get("on-hold", False)
            self._touch(doc)
            self._save("suppliers", doc, new=False)

    # --- purchase orders -------------------------------------------------------------------------

    def _active_suppliers(self) -> list[Any]:
        masters = self.factory.masters
        assert masters is not None
        return [s for s in masters.suppliers if s.status == "active"] or masters.suppliers

    def new_purchase_orders(self, count: int) -> None:
        suppliers = self._active_suppliers()
        for _ in range(count):
            doc = self.factory.purchase_order(self.rng.choice(suppliers), self.now, self.now, status="issued")
            doc.update({"exported": False, "last-exported-at": None, "version": 1, "internal-revision": 1})
            if find_by(self.store, RESOURCES["purchase_orders"], "po-number", doc["po-number"]) is not None:
                doc["po-number"] = f"PO-{doc['id']:06d}-A"  # a client already used the generated number
            self._save("purchase_orders", doc, new=True)

    def updated_purchase_orders(self, count: int) -> None:
        for doc in self._sample("purchase_orders", "t.\"ix_status\" = 'issued'", count):
            live = [line for line in doc["order-lines"] if line.get("deleted-at") is None]
            if self.rng.random() < 0.2:
                doc["status"] = "closed"
            elif live and live[0].get("quantity"):
                # A change order: more quantity on the first line, re-sent to the supplier.
                line = live[0]
                quantity = Decimal(line["quantity"]) + 1
                line["quantity"] = f"{quantity.normalize():f}" + (
                    "" if "." in f"{quantity.normalize():f}" else ".0"
                )
                line["total"] = money(quantity * Decimal(line["price"]))
                line["updated-at"] = self.stamp
                doc["version"] = doc.get("version", 1) + 1
                line["version"] = doc["version"]
                doc["total"] = money(sum(Decimal(item["total"]) for item in live))
            else:
                doc["version"] = doc.get("version", 1) + 1
            doc["internal-revision"] = doc.get("internal-revision", 1) + 1
            doc["exported"] = False  # re-sent (or closed): back in the ERP export queue
            self._touch(doc)
            self._save("purchase_orders", doc, new=False)

    # --- invoices --------------------------------------------------------------------------------

    def new_invoices(self, count: int) -> None:
        suppliers = {s.id: s for s in self._active_suppliers()}
        orders = self._sample("purchase_orders", "t.\"ix_status\" = 'issued'", count)
        for index in range(count):
            order = orders[index] if index < len(orders) and index % 2 == 0 else None
            supplier = suppliers.get(order["supplier"]["id"]) if order else None
            if supplier is None:
                order, supplier = None, self.rng.choice(list(suppliers.values()))
            doc = self.factory.invoice(
                supplier,
                self.now,
                self.now,
                order=order,
                status=self.rng.choice(("approved", "pending_approval")),
            )
            doc.update(
                {
                    "exported": False,
                    "last-exported-at": None,
                    "paid": False,
                    "payments": [],
                    "payment-date": None,
                    "payment-notes": None,
                }
            )
            self._save("invoices", doc, new=True)

    def updated_invoices(self, count: int) -> None:
        candidates = "t.\"ix_status\" IN ('pending_approval', 'approved', 'draft', 'ap_hold')"
        for doc in self._sample("invoices", candidates, count):
            status = doc["status"]
            if status in ("pending_approval", "ap_hold"):
                doc["status"] = "approved"
            elif status == "draft":
                doc["status"] = "pending_approval"
            elif self.rng.random() < 0.15:
                doc["status"] = "voided"
            else:
                doc["payment-notes"] = f"Approved by {self.rng.choice(('jreyes', 'amueller'))}"
            doc["lock-version-key"] = int(doc.get("lock-version-key") or 0) + 1
            self._touch(doc)
            self._save("invoices", doc, new=False)

    # --- Coupa Pay payments ----------------------------------------------------------------------

    def new_payments(self, count: int) -> None:
        where = (
            "t.\"ix_status\" = 'approved' AND json_extract(t.doc, '$.paid') = 0 "
            "AND json_extract(t.doc, '$.\"is-credit-note\"') = 0 "
            "AND json_extract(t.doc, '$.\"payment-channel\"') = 'erp'"
        )
        for invoice in self._sample("invoices", where, count):
            payment = self.factory.coupa_payment([invoice], self.now, self.now, status="payment_initiated")
            payment["exported"], payment["last-exported-at"] = False, None
            self._save("payments", payment, new=True)
            invoice["payment-channel"] = "coupa_pay"
            self._touch(invoice)
            self._save("invoices", invoice, new=False)

    def updated_payments(self, count: int) -> None:
        progression = {
            "draft": "approved",
            "approved": "payment_initiated",
            "payment_initiated": "payment_in_progress",
            "payment_in_progress": "completed_successfully",
        }
        where = "t.\"ix_status\" IN ('draft', 'approved', 'payment_initiated', 'payment_in_progress')"
        for doc in self._sample("payments", where, count):
            target = progression[doc["status"]]
            if target == "completed_successfully" and self.rng.random() < 0.1:
                target = "completed_with_errors"
            doc["status"] = target
            self._touch(doc)
            self._save("payments", doc, new=False)

    # --- master data -----------------------------------------------------------------------------

    def new_accounts(self, count: int) -> None:
        types = self.store.select(RESOURCES["account_types"])
        existing = {
            (doc["code"], doc["account-type"]["id"]) for doc in self.store.select(RESOURCES["accounts"])
        }
        made = 0
        attempts = 0
        while made < count and attempts < count * 50:
            attempts += 1
            chart = self.rng.choice(types)
            code = (
                f"{self.rng.choice(('00001', '00100', '00200', '00300'))}-"
                f"{self.rng.randint(1, 9)}{self.rng.randint(100, 999)}"
                f"-{self.rng.randint(6000, 6999)}"
            )
            if (code, chart["id"]) in existing:
                continue
            existing.add((code, chart["id"]))
            segments = code.split("-")
            doc = {
                "id": self.store.next_id("accounts"),
                "created-at": self.stamp,
                "updated-at": self.stamp,
                "name": f"New account {code}",
                "code": code,
                "active": True,
                "account-type": {"id": chart["id"]},
                **{f"segment-{n}": value for n, value in enumerate(segments, start=1)},
            }
            self._save("accounts", doc, new=True)
            made += 1
        self.state.forget_factory()

    def updated_accounts(self, count: int) -> None:
        for doc in self._sample("accounts", "1=1", count):
            doc["active"] = not doc.get("active", True)
            self._touch(doc)
            self._save("accounts", doc, new=False)
        self.state.forget_factory()

    def updated_lookup_values(self, count: int) -> None:
        for doc in self._sample("lookup_values", "1=1", count):
            doc["description"] = f"Updated {self.stamp}"
            self._touch(doc)
            self._save("lookup_values", doc, new=False)


def make_activity(state: SandboxState, wanted: ActivityRequest) -> dict[str, Any]:
    """Create and change records as users would, all stamped now; call-outs fire for the changes."""
    activity = _Activity(state, state.now())
    with state.store.transaction():
        for name, count in wanted.model_dump().items():
            getattr(activity, name)(count)
    for key, docs in activity.created.items():
        state.announce(key, docs, "created")
    for key, docs in activity.updated.items():
        state.announce(key, docs, "updated")
    return {
        "updated_at": activity.stamp,
        "created": {key: [doc["id"] for doc in docs] for key, docs in activity.created.items()},
        "updated": {key: sorted({doc["id"] for doc in docs}) for key, docs in activity.updated.items()},
    }
