"""Which failures a run leaves to ``ml-connector replay``: a create the target refused
for good is not POSTed again by every rerun while the record is unchanged; a failure that may pass (an
outage, throttling, a credential) and a changed record are sent again as before."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from connector_assets.flows.core import Mapped
from connector_assets.flows.writer import REFUSED_FOR_GOOD, awaits_replay
from connector_assets.runtime.step_retry import refused_for_good
from connector_resources.fusion.errors import FusionError, FusionValidationError

RECORD = Mapped("PO1187", {"Supplier": "Acme", "lines": [{"Amount": "10.00"}]}, {"po": "1187"})


def _item(record: Mapped, *, status: str = "failed", refused: bool = True) -> SimpleNamespace:
    payload = record.to_payload()
    if refused:
        payload[REFUSED_FOR_GOOD] = True
    return SimpleNamespace(status=status, payload=payload)


@pytest.mark.parametrize(
    ("error", "for_good"),
    [
        (FusionValidationError("OrderNumber is read only", status=400), True),
        (FusionError("business rule", status=422), True),
        (FusionError("unavailable", status=503), False),
        (FusionError("slow down", status=429), False),
        (FusionError("token expired", status=401), False),
        (FusionError("no role", status=403), False),
        (FusionError("parent not there yet", status=404), False),
        (ConnectionError("reset"), False),
    ],
)
def test_only_a_refusal_of_the_record_itself_is_for_good(error: Exception, for_good: bool) -> None:
    assert refused_for_good(error) is for_good


def test_an_unchanged_record_refused_for_good_awaits_a_replay() -> None:
    assert awaits_replay(_item(RECORD), Mapped.from_payload(RECORD.to_payload()))


def test_a_changed_record_is_sent_again_the_change_may_be_the_fix() -> None:
    changed = Mapped("PO1187", {"Supplier": "Acme", "lines": [{"Amount": "12.00"}]}, {"po": "1187"})
    assert not awaits_replay(_item(RECORD), changed)


def test_a_held_item_or_one_that_may_pass_is_sent_again() -> None:
    assert not awaits_replay(_item(RECORD, status="held"), RECORD)
    assert not awaits_replay(_item(RECORD, refused=False), RECORD)
