"""Coupa -> JD Edwards refusals say their kind and parameters as data, beside the sentence: an invoice
line whose Coupa account has no JDE account names the mapping table and the code (what the fit report and
the desk list as the rows to add), and the supplier it also lacks a JDE number for (what a match by hand
makes due)."""

from datetime import UTC, datetime

from connector_assets.components import CoupaJde
from connector_assets.flows.core import Rejected
from connector_assets.integrations.coupa_jde.accounts import AccountMap
from connector_assets.integrations.coupa_jde.invoices import COUPA_SUPPLIER, distribution, map_invoice
from connector_assets.integrations.coupa_jde.own import Own
from connector_assets.jde.accounts import GlAccounts
from connector_resources.mapping_gaps import mapping_gaps
from connector_resources.said import refusal_for

OWN = Own.of(CoupaJde())  # the default Coupa -> JDE instance
AT, TABLE = datetime(2026, 3, 2, tzinfo=UTC), OWN.accounts.name


def _invoice(**fields: object) -> dict:
    line = {"line-num": 1, "total": "100.00", "account": {"code": "OPS-X"}, "description": "x"}
    return {"id": 7001, "invoice-number": "INV-1", "total-with-taxes": "100.00", "currency": {"code": "USD"},
            "invoice-date": "2026-03-02", "invoice-lines": [line], **fields}  # fmt: skip


def test_a_coupa_account_with_no_jde_account_is_a_missing_row_of_the_account_table():
    planned = distribution(_invoice(), AccountMap({}, TABLE))
    refusal = refusal_for("invoice 7001: " + "; ".join(planned.problems), planned.problems, rule="x")
    assert refusal.kind == "mapping_missing" and refusal.attention == "person"
    assert refusal.params == {"table": "coupa_jde/account_map", "what": "Coupa account", "value": "OPS-X"}
    assert refusal.group == f"mapping_missing · {TABLE}"
    assert [(g.what, g.value, g.table) for g in mapping_gaps(refusal.group, refusal.params)] == [
        ("Coupa account", "OPS-X", TABLE)
    ]


def test_two_unmapped_codes_on_one_invoice_name_both_values_and_the_supplier_it_waits_a_pair_for():
    second = {"line-num": 2, "total": "0.00", "account": {"code": "OPS-Y"}}
    invoice = _invoice(supplier={"id": 61, "name": "Acme"})
    invoice["invoice-lines"] = [*invoice["invoice-lines"], second]
    refused = map_invoice(invoice, AT, GlAccounts([]), AccountMap({}, TABLE), None, OWN)
    assert isinstance(refused, Rejected) and refused.held_on is None and refused.refusal is not None
    assert refused.refusal.kind == "mapping_missing"
    assert refused.refusal.params["value"] == ["OPS-X", "OPS-Y"]
    assert refused.refusal.params[COUPA_SUPPLIER] == "61"  # a match by hand of supplier 61 makes it due
    assert refused.refusal.sentence == refused.reason


def test_an_invoice_whose_supplier_has_no_jde_number_alone_waits_for_that_pair():
    accounts = AccountMap({"OPS-X": "20.8150"}, TABLE)
    gl = GlAccounts([{"MCU": "20", "OBJ": "8150", "SUB": "", "CO": "00001", "PEC": ""}])
    held = map_invoice(_invoice(supplier={"id": 61}), AT, gl, accounts, None, OWN)
    assert isinstance(held, Rejected) and held.held_on == "coupa_jde:supplier:coupa:61"
    assert held.refusal is not None and held.refusal.kind == "waits_for_record"
    assert held.refusal.params["waits_for"] == held.held_on and held.refusal.attention == "flows"
