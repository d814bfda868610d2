"""Fusion suppliers as the flows read them: the day's staged ones, again by id, and one an operator names
(``find_supplier``: ``SupplierNumber`` or ``SupplierId``, ``number:`` / ``id:`` when a value could be both).
Which supplier a value names is Fusion's to say; what a match is, the integration's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from connector_assets.asset_keys import asset_key
from connector_resources.fusion.errors import FusionNotFoundError
from connector_resources.redaction import get_logger
from connector_resources.refusals import Refusal, master_missing

log = get_logger(__name__)

# Staged by connector_assets.saas.assets, a day partition each.
SUPPLIERS_ASSET = asset_key("fusion", "suppliers")


class SupplierNotFound(LookupError):
    """The value names no Fusion supplier, or two (its number one, its id another), or is no number or id;
    the message says which in an operator's words, ``refusal`` as data (``value``: what was given)."""

    def __init__(self, message: str, value: str = "") -> None:
        super().__init__(message)
        self.value = value

    @property
    def refusal(self) -> Refusal:
        return master_missing(str(self), system="Fusion", what="supplier", value=self.value)


@dataclass(frozen=True, slots=True)
class FusionSupplier:
    """A Fusion supplier as read from Fusion: its id, number and name."""

    supplier_id: str
    number: str
    name: str

    @property
    def label(self) -> str:
        return f"Fusion supplier {self.name} (number {self.number}, SupplierId {self.supplier_id})"


def find_supplier(session: Any, given: str) -> FusionSupplier:
    """The supplier ``given`` names: its ``SupplierNumber`` or its ``SupplierId`` (``number:`` / ``id:``
    in front says which); ``SupplierNotFound`` when Fusion has none, or when the number names one supplier
    and the id another (the operator says which with the prefix)."""
    text = given.strip()
    kind, _, value = text.partition(":") if ":" in text else ("", "", text)
    value = value.strip()
    if kind not in ("", "id", "number") or not value:
        raise SupplierNotFound(
            f"{given!r} is not a Fusion supplier number or id (use 1234, number:1234 or id:300...)", given
        )
    found: dict[str, dict[str, Any]] = {}
    if kind in ("", "number"):
        by_number = session.find_supplier(supplier_number=value)
        if by_number is not None:
            found["number"] = by_number
    if kind in ("", "id") and value.isdigit():
        with suppress(FusionNotFoundError):
            found["id"] = session.get("suppliers", value)
    if not found:
        what = {"": "SupplierNumber or SupplierId", "id": "SupplierId", "number": "SupplierNumber"}[kind]
        raise SupplierNotFound(f"Fusion has no supplier with {what} {value}", value)
    suppliers = {str(record.get("SupplierId")): _supplier(record) for record in found.values()}
    if len(suppliers) > 1:
        names = " and ".join(s.label for s in suppliers.values())
        raise SupplierNotFound(
            f"{value} names two Fusion suppliers, {names}: say number:{value} or id:{value}", value
        )
    return next(iter(suppliers.values()))


def supplier_id_key(value: str | int) -> str:
    """A ``SupplierId`` as the ledger keys it: digits, no padding; an error naming it otherwise."""
    text = str(value).strip()
    if not text.isdigit():
        raise ValueError(f"Fusion SupplierId {value!r} is not a number")
    return str(int(text))


def _supplier(record: dict[str, Any]) -> FusionSupplier:
    return FusionSupplier(
        supplier_id=supplier_id_key(record.get("SupplierId", "")),
        number=str(record.get("SupplierNumber") or "").strip(),
        name=str(record.get("Supplier") or "").strip(),
    )


def staged_suppliers(staging: Any, partition: str | None) -> dict[str, dict[str, Any]]:
    """The day's staged Fusion suppliers by ``SupplierId`` (the latest row of each)."""
    found: dict[str, dict[str, Any]] = {}
    for row in staging.read_rows(SUPPLIERS_ASSET, partition):
        record = json.loads(row["record"]) if isinstance(row.get("record"), str) else row.get("record")
        if isinstance(record, dict):
            found[str(record.get("SupplierId", row.get("id")))] = record
    return found


def read_suppliers(fusion: Any, keys: Iterable[str]) -> list[dict[str, Any]]:
    """The named suppliers read from Fusion by ``SupplierId`` (one gone from Fusion is left out)."""
    found = []
    with fusion.session() as session:
        for key in sorted({k for k in keys if k.isdigit()}):
            try:
                found.append(session.get("suppliers", key))
            except FusionNotFoundError:
                log.info("Fusion supplier %s no longer exists; nothing to send", key)
    return found
