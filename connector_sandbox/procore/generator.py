"""Row builders shared by the seed and by ``/sandbox/activity``: vendors, commitments and their lines,
plus the stamps and money formatting every generated record uses.

Kept apart from the seed's orchestration so that new business activity is made of exactly the same
stuff as the seeded history (names, statuses, amounts, origin ids).
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass, field
from typing import Any

from connector_sandbox.seeding import fit

from .clock import stamp
from .vocabulary import (
    FOREIGN_INTEGRATION,
    MAX_LENGTH_VENDOR_STEMS,
    MAX_LENGTHS,
    PO_STATUSES,
    PO_TITLES,
    SIGNATURE_VENDORS,
    STREETS,
    UOMS,
    US_PLACES,
    VENDOR_PREFIXES,
    VENDOR_SUFFIXES,
    VENDOR_TRADES,
    WO_STATUSES,
    WO_TITLES,
)


def cents(amount: int) -> str:
    """Integer cents as Procore's money string: ``"12500.00"``."""
    sign = "-" if amount < 0 else ""
    return f"{sign}{abs(amount) // 100}.{abs(amount) % 100:02d}"


class Stamper:
    """created_at / updated_at pairs, with the shared values that exercise cursor boundaries."""

    def __init__(self, rng: random.Random, anchor: dt.date) -> None:
        self.rng = rng
        midnight = dt.datetime.combine(anchor, dt.time(), tzinfo=dt.UTC)
        self.end = midnight - dt.timedelta(seconds=1)  # history ends the day before the anchor
        self.mass = midnight - dt.timedelta(days=21) + dt.timedelta(hours=2)
        self.nightly = [midnight - dt.timedelta(days=k) + dt.timedelta(hours=18) for k in range(1, 13)]

    def moment(self, days_back_min: float, days_back_max: float) -> dt.datetime:
        seconds = self.rng.uniform(days_back_min * 86_400, days_back_max * 86_400)
        return (self.end - dt.timedelta(seconds=seconds)).replace(microsecond=0)

    def pair(self, oldest_days: float = 720) -> tuple[str, str]:
        draw = self.rng.random()
        if draw < 0.15:
            created = self.mass - dt.timedelta(seconds=self.rng.uniform(3600, oldest_days * 86_400))
            return stamp(created), stamp(self.mass)
        if draw < 0.25:
            updated = self.rng.choice(self.nightly)
            created = updated - dt.timedelta(seconds=self.rng.uniform(3600, oldest_days * 86_400))
            return stamp(created), stamp(updated)
        created = self.moment(2, oldest_days)
        age = (self.end - created).total_seconds()
        updated = created + dt.timedelta(seconds=self.rng.uniform(0, age))
        return stamp(created), stamp(updated.replace(microsecond=0))


@dataclass
class ProjectRefs:
    """What later generators need to know about one project."""

    id: int
    number: str
    currency: str
    leaf_cost_codes: list[tuple[int, str]]  # (id, full_code)
    periods: list[dict[str, Any]]
    vendors: set[int] = field(default_factory=set)


class Generator:
    """Builds rows; used by the seed and by ``/sandbox/activity`` (new and changed records)."""

    def __init__(self, rng: random.Random, anchor: dt.date, company_id: int, owner_client: str) -> None:
        self.rng = rng
        self.anchor = anchor
        self.company_id = company_id
        self.owner_client = owner_client
        self.stamper = Stamper(rng, anchor)

    # -- vendors ---------------------------------------------------------------------------------------

    def vendor(
        self, index: int, created: str, updated: str, trade_ids: list[int], name: str | None = None
    ) -> dict[str, Any]:
        rng = self.rng
        named = SIGNATURE_VENDORS[index] if index < len(SIGNATURE_VENDORS) else None
        place = rng.choice(US_PLACES)
        city, state, zip_code, country = named[1:] if named else (*place, "US")
        if name is None:
            if named:
                name = named[0]
            elif index < len(SIGNATURE_VENDORS) + len(MAX_LENGTH_VENDOR_STEMS):
                stem = MAX_LENGTH_VENDOR_STEMS[index - len(SIGNATURE_VENDORS)]
                name = fit(stem, MAX_LENGTHS["name"])
            else:
                combos = len(VENDOR_PREFIXES) * len(VENDOR_TRADES) * len(VENDOR_SUFFIXES)
                k = index * 7919 % combos
                name = (
                    f"{VENDOR_PREFIXES[k % len(VENDOR_PREFIXES)]} "
                    f"{VENDOR_TRADES[k // len(VENDOR_PREFIXES) % len(VENDOR_TRADES)]} "
                    f"{VENDOR_SUFFIXES[k // (len(VENDOR_PREFIXES) * len(VENDOR_TRADES))]}"
                )
                if index >= combos:
                    name += f" {index // combos + 1}"
        an8 = 10_000 + index * 3
        synced = rng.random() < 0.7
        owner = None
        if synced:
            owner = FOREIGN_INTEGRATION if rng.random() < 0.03 else self.owner_client
        register = None
        if country == "US":
            register = {
                "type": "EIN",
                "identifier": f"{rng.randint(10, 99)}-{rng.randint(1_000_000, 9_999_999)}",
                # Procore's values (SDK enum): active, cancelled, does_not_exist; null until checked.
                "verification_status": rng.choice(("active", None)),
            }
        slug = "".join(ch for ch in name.lower() if ch.isascii() and ch.isalnum())[:20] or f"vendor{an8}"
        return {
            "company_id": self.company_id,
            "name": name,
            "abbreviated_name": name[:20],
            "trade_name": None,
            "legal_name": name,
            "address": f"{rng.randint(10, 9999)} {rng.choice(STREETS)}",
            "city": city,
            "state_code": state or None,
            "zip": zip_code,
            "country_code": country,
            "business_phone": f"+1-503-555-{rng.randint(0, 9999):04d}" if country == "US" else None,
            "mobile_phone": None,
            "fax_number": None,
            "email_address": f"ap@{slug}.example",
            "website": None,
            "is_active": 1 if rng.random() < 0.92 else 0,
            "license_number": f"CCB-{rng.randint(100_000, 999_999)}" if rng.random() < 0.4 else None,
            "union_member": 1 if rng.random() < 0.2 else 0,
            "labor_union": None,
            "prequalified": 1 if rng.random() < 0.5 else 0,
            "authorized_bidder": 1 if rng.random() < 0.6 else 0,
            "notes": None,
            "synced_to_erp": 1 if synced else 0,
            "parent_id": None,
            "business_register": json.dumps(register) if register else None,
            "trade_ids": json.dumps(trade_ids),
            "standard_cost_code_ids": "[]",
            "project_ids": "[]",
            "origin_id": f"JDE-V-{an8}" if synced else None,
            "origin_code": str(an8) if synced else None,
            "origin_data": None,
            "origin_owner": owner,
            "created_at": created,
            "updated_at": updated,
        }

    # -- commitments -----------------------------------------------------------------------------------

    def commitment(
        self, project: ProjectRefs, kind: str, sequence: int, vendor_id: int, created: str, updated: str
    ) -> dict[str, Any]:
        rng = self.rng
        is_po = kind == "PurchaseOrderContract"
        statuses = PO_STATUSES if is_po else WO_STATUSES
        weights = (10, 4, 6, 5, 8, 55, 12) if is_po else (10, 3, 6, 55, 18, 4, 4)
        status = rng.choices(statuses, weights)[0]
        executed = status in {"Approved", "Complete", "Received", "Partially Received", "Closed"}
        contract_date = created[:10]
        doco = 700_000 + sequence
        synced = executed and rng.random() < 0.45
        return {
            "company_id": self.company_id,
            "project_id": project.id,
            "kind": kind,
            "number": f"{'PO' if is_po else 'SC'}-{project.number}-{sequence:04d}",
            "title": rng.choice(PO_TITLES if is_po else WO_TITLES),
            "description": None,
            "status": status,
            "executed": 1 if executed else 0,
            "vendor_id": vendor_id,
            "contract_date": contract_date,
            "delivery_date": None,
            "issued_on_date": contract_date if executed else None,
            "execution_date": contract_date if executed else None,
            "retainage_percent": rng.choice(("10.0", "5.0", "0.0")) if not is_po else "0.0",
            "payment_terms": rng.choice(("Net 30", "Net 45", "Net 60")),
            "ship_to_address": None,
            "bill_to_address": None,
            "ship_via": rng.choice(("Ground", "Freight", None)) if is_po else None,
            "private": 1 if rng.random() < 0.1 else 0,
            "requisitions_are_enabled": 1 if (not is_po or rng.random() < 0.3) else 0,
            "accounting_method": "unit" if is_po and rng.random() < 0.4 else "amount",
            "total_payments_cents": 0,
            "currency_iso_code": project.currency,
            "origin_id": f"JDE-{'OP' if is_po else 'OS'}-{doco}" if synced else None,
            "origin_code": str(doco) if synced else None,
            "origin_data": None,
            "origin_owner": self.owner_client if synced else None,
            "created_at": created,
            "updated_at": updated,
            "deleted_at": None,
        }

    def line_item(
        self, commitment: dict[str, Any], position: int, cost_code: tuple[int, str], type_ids: dict[str, int]
    ) -> dict[str, Any]:
        rng = self.rng
        is_po = commitment["kind"] == "PurchaseOrderContract"
        type_code = rng.choice(("M", "E")) if is_po else rng.choice(("S", "S", "L"))
        if commitment["accounting_method"] == "unit":
            quantity = rng.randint(1, 400)
            unit_cents = rng.randint(250, 90_000)
            amount = quantity * unit_cents
            quantity_text, unit_text, uom = f"{quantity}.0", cents(unit_cents), rng.choice(UOMS)
        else:
            amount = rng.randint(50_000, 25_000_000)
            quantity_text, unit_text, uom = "1.0", cents(amount), "ls"
        return {
            "company_id": self.company_id,
            "project_id": commitment["project_id"],
            "commitment_id": commitment["id"],
            "position": position,
            "description": f"{cost_code[1]} {commitment['title']}",
            "amount_cents": amount,
            "quantity": quantity_text,
            "unit_cost": unit_text,
            "uom": uom,
            "cost_code_id": cost_code[0],
            "line_item_type_id": type_ids[type_code],
            "origin_id": None,
            "origin_code": None,
            "origin_data": None,
            "origin_owner": None,
            "created_at": commitment["created_at"],
            "updated_at": commitment["updated_at"],
            "deleted_at": None,
        }
