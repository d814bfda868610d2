"""What JDE's side refuses is judged on data, never on words: a G/L date refusal is a closed period by
JDE's error codes (the words may name a date edit or not), an answer without the number it must carry is
the flow's rule (no JDE code to group by), an inactive vendor the flow's rule before JDE is asked; and the
clients' ambiguous and conflicting matches keep their kind when raised again as another error."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest

from connector_assets.flows.core import Mapped
from connector_assets.jde.linked_suppliers import LinkedSuppliers
from connector_assets.jde.periods import refused_period
from connector_assets.jde.purchase_orders import PurchaseOrders
from connector_assets.jde.target_base import JdeRefused
from connector_assets.jde.targets import Suppliers
from connector_resources.coupa.errors import CoupaAmbiguousMatchError
from connector_resources.fusion.errors import FusionAmbiguousMatchError, FusionConflictError
from connector_resources.jde.errors import JdeMessage, JdeOrchestrationError
from connector_resources.procore.errors import ProcoreConflictError
from connector_resources.procurify.errors import ProcurifyDuplicateError
from connector_resources.refusals import Refused, refusal_of

DAY = date(2026, 10, 29)


def _jde_error(code: str, title: str) -> JdeOrchestrationError:
    message = JdeMessage(code=code, title=title, source="ML_CreateVoucherBatch", severity="error")
    return JdeOrchestrationError("refused", orchestration="ML_CreateVoucherBatch", messages=[message])


def _reworded(error: JdeOrchestrationError, words: str) -> JdeRefused:
    """``error`` raised again in a finance user's ``words``, as the targets do (``from None``)."""
    try:
        try:
            raise error
        except JdeOrchestrationError:
            raise JdeRefused(words) from None
    except JdeRefused as refused:
        return refused


def _period(error: BaseException, said: str = "") -> Any:
    return refused_period(
        error, integration="jde_coupa", company="00001", ledger="AP", document="voucher 7", day=DAY, said=said
    )


def test_a_gl_date_refusal_is_held_on_its_period_by_jdes_code_whatever_the_words():
    words = "voucher 7: JDE refused the G/L date"  # names no date edit
    held = _period(_reworded(_jde_error("PBCO", "Post Before Cut Off"), words))
    assert held is not None and held.refusal.kind == "period_closed"
    assert held.refusal.params == {"system": "JDE", "ledger": "00001.AP", "day": DAY.isoformat()}
    assert words in held.reason
    quoted = _period(_jde_error("PYEB", "Prior Year-End Balance"), said="JDE: prior year")
    assert quoted is not None and "JDE: prior year" in quoted.reason
    # Words naming a date edit do not make another refusal a period's.
    assert _period(_reworded(_jde_error("59A1", "Supplier"), "PBCO mentioned in passing")) is None


class _Answers:
    """A JDE session whose orchestrations answer ``outputs`` (a success without the expected number)."""

    def __init__(self, outputs: dict[str, Any]) -> None:
        self.outputs = outputs

    def orchestrate(self, name: str, inputs: dict[str, Any]) -> SimpleNamespace:
        return SimpleNamespace(outputs=self.outputs)


def test_an_answer_without_its_number_is_the_flows_rule_not_a_jde_refusal():
    with pytest.raises(Refused) as supplier:
        Suppliers(_Answers({}), None, None, None).create(Mapped("V-1", {"Alpha_Name": "X"}, {}))
    assert supplier.value.refusal.group == "refused · answer without an address number"
    body = {"Order_Company": "00001", "Order_Type": "OP", "Supplier": 4343, "Lines": []}
    with pytest.raises(Refused) as order:
        PurchaseOrders(_Answers({}), None, None, None).create(Mapped("PO-1", body, {}))
    assert order.value.refusal.group == "refused · answer without an order number"


def test_an_inactive_vendor_is_refused_by_the_flows_rule_before_jde_is_asked():
    def never(*_: Any) -> Any:
        raise AssertionError("nothing is read or written for an inactive vendor")

    target = LinkedSuppliers(
        None, None, None, None, bank_key="bank", bank=never, inactive=lambda r: f"vendor {r.source_key} is "
        "inactive", written=never, source_label="Procore",
    )  # fmt: skip
    with pytest.raises(Refused) as raised:
        target.create(Mapped("77", {"Alpha_Name": "X"}, {}, natural_key={"active": False}))
    refusal = refusal_of(raised.value, system="JDE")
    assert (refusal.group, refusal.sentence) == ("refused · supplier inactive", "vendor 77 is inactive")


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (CoupaAmbiguousMatchError("two suppliers match"), "ambiguous"),
        (FusionAmbiguousMatchError("two invoices match"), "ambiguous"),
        (ProcurifyDuplicateError("two vendors carry external_id 4343"), "ambiguous"),
        (FusionConflictError("the supplier kept changing"), "conflict"),
        (ProcoreConflictError("origin_id taken"), "conflict"),
    ],
)
def test_an_ambiguous_or_conflicting_match_keeps_its_kind_raised_again(error: Exception, kind: str):
    assert refusal_of(error, system="X").kind == kind
    try:
        try:
            raise error
        except Exception as exc:
            raise RuntimeError("the write failed") from exc
    except RuntimeError as again:
        refusal = refusal_of(again, system="X")
    assert (refusal.kind, refusal.attention, refusal.sentence) == (kind, "person", "the write failed")
