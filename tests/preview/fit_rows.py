"""Verdict rows for the fit report's tests: a preview of jde_coupa's suppliers and purchase orders whose
refusals are the supplier mapper's own words, each with its kind and parameters as the preview keeps them
(``FitRow.kind`` / ``params``)."""

from __future__ import annotations

import json
import string
from dataclasses import replace

from jde_coupa_parts import PAYMENT_TERMS, mapped_supplier

from connector_assets.jde.documents import JdeSupplier
from connector_assets.preview.tally import FitRow
from connector_resources.refusals import Refusal, mapping_missing, waits_for_record

JDE_COUPA = "jde_coupa"
TERMS_TABLE = PAYMENT_TERMS.asset.to_user_string()  # jde_coupa/payment_terms_map


def with_refusal(row: FitRow, refusal: Refusal) -> FitRow:
    """``row`` carrying ``refusal`` as the preview keeps it: its sentence, group and parameters."""
    params = json.dumps(dict(refusal.params))
    return replace(row, reason=refusal.sentence, kind=refusal.group, params=params)


def terms_refusal(an8: int, name: str, terms: str) -> FitRow:
    """A supplier refused as the real mapper refuses one whose payment terms the table lacks, with the
    kind and parameters of that refusal (a missing row of the terms table)."""
    reason = mapped_supplier(JdeSupplier(an8, {"TRAP": terms}, {"ALPH": name}), {}).reason
    refusal = mapping_missing(reason, table=TERMS_TABLE, what="payment terms", value=terms)
    return with_refusal(FitRow(JDE_COUPA, "suppliers", "", str(an8), "refuse"), refusal)


def sample_rows() -> list[FitRow]:
    """Suppliers: 3 created, 2 adopted by name+tax_id and 1 by number, 1 updated, 1 unchanged, 40 refused
    for missing terms (37 N45 under many names, 3 NET), 1 ambiguous; purchase orders: 2 held, 1 created."""
    rows = [
        FitRow(
            JDE_COUPA,
            "suppliers",
            "",
            str(4000 + n),
            "create",
            changes=json.dumps({"name": f'New, "{n}"\nLtd'}),
        )
        for n in range(3)
    ]
    rows += [
        FitRow(JDE_COUPA, "suppliers", "", str(4100 + n), "adopt", target_id=str(17 + n),
               matched_by=json.dumps({"name": "Acme", "tax_id": "12-345"}))
        for n in range(2)
    ]  # fmt: skip
    rows.append(
        FitRow(
            JDE_COUPA,
            "suppliers",
            "",
            "4200",
            "adopt",
            "31",
            json.dumps({"number": "4200", "tax_id": None}),
        )
    )
    rows.append(
        FitRow(
            JDE_COUPA, "suppliers", "", "4300", "update", "40", changes=json.dumps({"name": ["Old", "Nëw"]})
        )
    )
    rows.append(FitRow(JDE_COUPA, "suppliers", "", "4400", "unchanged", "41"))
    rows += [
        terms_refusal(5000 + n, f"Supplier {string.ascii_uppercase[n % 26]} & Co", "N45") for n in range(37)
    ]
    rows += [terms_refusal(6000 + n, "Bolt <Sons>", "NET") for n in range(3)]
    ambiguous = Refusal("ambiguous", "2 Coupa suppliers named 'Bolt <Sons>': 17, 18", {"system": "coupa"})
    rows.append(with_refusal(FitRow(JDE_COUPA, "suppliers", "", "7000", "ambiguous"), ambiguous))
    rows += [
        with_refusal(
            FitRow(JDE_COUPA, "purchase_orders", "2025-03-0" + str(n), f"00001-{n}-OP", "hold"),
            waits_for_record(
                f"purchase order 00001-{n}-OP waits for jde_coupa:supplier:JDE:5000 to sync",
                "jde_coupa:supplier:JDE:5000",
            ),
        )
        for n in (1, 2)
    ]
    rows.append(FitRow(JDE_COUPA, "purchase_orders", "2025-03-02", "00001-3-OP", "create", changes="{}"))
    return rows
