"""Orders another system's integration made in Procurify are that system's (``procurify.source_orders``,
``procurify.order_sources``): with two ERPs on one Procurify (``make dev`` runs JD Edwards <-> Procurify and
Oracle Fusion <-> Procurify on one simulator), a PO bought from a requisition JD Edwards' integration made
reached the Fusion purchase orders flow, whose run failed: "refused (Procurify account code M30.7110.01150
has no row in the account map)". Such a PO is skipped saying whose order it is; a person's PO is sent as
before. Pure: the Procurify reads are a dictionary, the integration's side records what it was asked.
"""

from __future__ import annotations

from typing import Any

from connector_assets.flows.core import Mapped, Rejected, Skipped
from connector_assets.integrations.jde_procurify.order_mappers import order_description
from connector_assets.procurify.order_sources import ProcurifyOrders, SourceOrder
from connector_assets.procurify.source_orders import source_order_of

JDE_MADE = order_description({"DOCO": 4011, "DCTO": "OP", "KCOO": "00001", "SFXO": "000"})


class Reads:
    """A Procurify whose vendor 2041 has requisition 3952 (JD Edwards') and 3960 (a person's)."""

    requisitions = {
        "3952": {"num": 3952, "description": JDE_MADE, "status": 1},
        "3960": {"num": 3960, "description": "Site office printer paper (order 12 boxes)", "status": 1},
    }

    def purchase_order(self, number: str) -> dict[str, Any]:
        nums = {"1187": ["3952"], "1188": ["3960"], "1189": ["3952", "3960"]}[str(number)]
        items = [
            {"id": n, "PO_line_num": n, "orderNum": num, "vendor": {"id": 2041}, "status": 1}
            for n, num in enumerate(nums, 1)
        ]
        return {"procurify_PO": int(number), "state": 0, "pref_vendor": {"id": 2041}, "order_items": items}

    def requisitions_of(self, vendor_id: str) -> dict[str, Any]:
        return self.requisitions if vendor_id == "2041" else {}

    def order_items(self, num: str) -> list[dict[str, Any]]:
        return [{"id": 1, "orderNum": num, "vendor": {"id": 2041}, "status": 1}]


class ToTarget(ProcurifyOrders):
    target_label = "Fusion"

    def __init__(self, sent: dict[str, str] | None = None) -> None:
        super().__init__(Reads())  # type: ignore[arg-type]
        self.sent_ids = sent or {}

    def po_key(self, number: str) -> str:
        return f"PO{number}"

    def requisition_key(self, num: str, vendor_id: str | None = None) -> str:
        return f"REQ{num}"

    def sent(self, key: str) -> str | None:
        return self.sent_ids.get(key)

    def sent_as(self, key: str, target_id: str) -> str:
        return f"Fusion as {target_id}"

    def record(self, source: SourceOrder) -> Mapped | Rejected:
        return Mapped(source.source_key, {"notes": source.notes}, {})


def test_the_jde_integrations_requisition_description_is_the_mark_and_a_persons_is_not():
    mark = source_order_of(JDE_MADE)
    assert mark is not None and (mark.system, mark.number, mark.company) == ("JDE", "4011 OP", "00001")
    assert str(mark) == JDE_MADE == "JDE order 4011 OP (company 00001)"
    suffixed = order_description({"DOCO": 4011, "DCTO": "OP", "KCOO": "00001", "SFXO": "001"})
    assert source_order_of(suffixed).number == "4011 OP-001"
    for described in ("Site office printer paper (order 12 boxes)", "PPE order 12 boxes", "", None):
        assert source_order_of(described) is None, described


def test_a_po_bought_from_another_systems_requisition_is_skipped_saying_whose_order_it_is():
    skipped = ToTarget().purchase_order({"procurify_PO": "1187"})
    assert isinstance(skipped, Skipped)
    assert skipped.reason == (
        "Procurify PO 1187 was purchased from requisition 3952, made for JDE order 4011 OP (company 00001) "
        "by that system's integration: the order is that system's, not one to send to Fusion; nothing sent"
    )
    mine = ToTarget().purchase_order({"procurify_PO": "1188"})
    assert isinstance(mine, Mapped) and mine.source_key == "PO1188"  # a person's order goes as before


def test_a_po_mixing_their_lines_with_a_persons_is_refused_for_a_person():
    mixed = ToTarget().purchase_order({"procurify_PO": "1189"})
    assert isinstance(mixed, Rejected) and "requisition(s) 3960" in mixed.reason
    assert "split the PO in Procurify" in mixed.reason


def test_one_sent_before_is_written_as_before():
    again = ToTarget({"PO1187": "300100"}).purchase_order({"procurify_PO": "1187"})
    assert isinstance(again, Mapped)


def test_an_approved_requisition_another_systems_integration_made_is_skipped():
    [skipped] = ToTarget().requisition_records(Reads.requisitions["3952"])
    assert isinstance(skipped, Skipped) and skipped.source_key == "REQ3952"
    assert "made for JDE order 4011 OP (company 00001) by that system's integration" in skipped.reason
    [mine] = ToTarget().requisition_records(Reads.requisitions["3960"])
    assert isinstance(mine, Mapped)
