"""JDE's refusals keep JDE's own error code as data: a refusal re-worded for a finance user (``JdeRefused``
raised from the orchestration's error) is grouped by that code, and a voucher changed after it was written
is a conflict for a person, whatever the sentences say."""

import pytest

from connector_assets.jde.target_base import JdeRefused, VoucherChanged, VoucherNotReady
from connector_resources.jde.errors import JdeMessage, JdeOrchestrationError
from connector_resources.refusals import refusal_of


def _refused_by_jde(code: str) -> JdeOrchestrationError:
    message = JdeMessage(
        code=code, title="Supplier not found", source="ML_CreateVoucherBatch", severity="error"
    )
    return JdeOrchestrationError(
        "refused", orchestration="ML_CreateVoucherBatch", messages=[message], status=500
    )


def test_a_59a1_refusal_is_a_target_refusal_grouped_by_its_code():
    with pytest.raises(JdeRefused) as raised:
        try:
            raise _refused_by_jde("59A1")
        except JdeOrchestrationError:
            raise JdeRefused("voucher of invoice INV-1: JDE has no supplier 4411 (JDE 59A1)") from None
    refusal = refusal_of(raised.value, "", system="JDE")
    assert raised.value.code == "59A1"
    assert (refusal.kind, refusal.params) == ("target_refused", {"system": "JDE", "code": "59A1"})
    assert refusal.group == "target_refused · JDE · 59A1" and refusal.attention == "person"
    # JDE's own error says the same (its HTTP 500 is no outage: JDE named a business reason).
    assert refusal_of(_refused_by_jde("59A1"), "refused", system="JDE").params["code"] == "59A1"


def test_a_changed_voucher_is_a_conflict_and_a_voucher_not_in_jde_yet_a_wait():
    changed = refusal_of(VoucherChanged("changed in Coupa after it was written"), "", system="JDE")
    assert (changed.kind, changed.attention) == ("conflict", "person")
    waiting = refusal_of(VoucherNotReady("the voucher batch is not in F0411Z1"), "", system="JDE")
    assert (waiting.kind, waiting.attention) == ("target_processing", "flows")
