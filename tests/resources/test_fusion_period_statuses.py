"""The Fusion client's read of a ledger's accounting period statuses (``FusionSession.period_statuses``) and
the calendar made of it (``connector_assets.fusion.periods``), against the sandbox pod over loopback, pages
of six rows: each Payables period of the ledger once, with the status the pod's own operator route lists,
under query-by-example and expression ``q`` alike."""

from __future__ import annotations

import pytest

from connector_assets.fusion.periods import FusionPeriods
from connector_resources import settings


@pytest.mark.parametrize("framework_version", [1, 3])
def test_the_ledgers_payables_periods_are_read_whole_as_the_pod_lists_them(pod, framework_version) -> None:
    ledger = settings.read("ML_FUSION_LEDGER_ID")
    listed = {
        (p["PeriodName"], p["StartDate"][:10], p["ClosingStatus"])
        for p in pod.admin("periods")["periods"]
        if str(p["LedgerId"]) == ledger and p["ApplicationId"] == 200
    }
    assert len(listed) > 6  # more than a page
    with pod.resource(framework_version=framework_version).session() as session:
        calendar = FusionPeriods(session).calendar()
    read = {(p.name, p.start.isoformat(), p.status) for p in calendar.periods}
    assert read == listed and len(calendar.periods) == len(listed)
    opened = sorted(start for _, start, status in listed if status == "O")
    assert calendar.first_open_day() is not None and calendar.first_open_day().isoformat() == opened[0]
