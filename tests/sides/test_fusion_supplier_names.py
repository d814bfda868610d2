"""Fusion suppliers found by name (``fusion.supplier_names``): only active suppliers count, the exact name
first, then the folded one; several at the same step choose none."""

from __future__ import annotations

from typing import Any

from connector_assets.fusion.supplier_names import EXACT, FOLDED, fold, match_supplier, supplier_text


def supplier(id_: int, name: str, **more: Any) -> dict[str, Any]:
    return {"SupplierId": id_, "Supplier": name, "SupplierNumber": str(10000 + id_), **more}


def test_match_supplier_exact_then_folded_among_active_only() -> None:
    suppliers = [
        supplier(1, "Acme Inc"),
        supplier(2, "ACME  inc", Status="INACTIVE"),
        supplier(3, "Granite Supply"),
        supplier(4, "granite supply"),
        supplier(5, "Old Co", InactiveDate="2001-01-01"),
    ]
    found, how, _ = match_supplier("Acme Inc", suppliers)
    assert (found["SupplierId"], how) == (1, EXACT)
    found, how, _ = match_supplier("acme INC", suppliers)  # the inactive supplier 2 does not count
    assert (found["SupplierId"], how) == (1, FOLDED)
    found, how, candidates = match_supplier("GRANITE SUPPLY", suppliers)
    assert found is None and how == FOLDED and {c["SupplierId"] for c in candidates} == {3, 4}
    found, how, _ = match_supplier("Granite Supply", suppliers)  # exact wins over the folded twin
    assert (found["SupplierId"], how) == (3, EXACT)
    assert match_supplier("Old Co", suppliers)[0] is None


def test_fold_and_how_a_candidate_is_named() -> None:
    assert fold(" ACME  inc ") == "acme inc" and fold(None) == ""
    assert supplier_text(supplier(4, "Acme")) == "Acme (number 10004, SupplierId 4)"
