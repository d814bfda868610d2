"""Records held longer than ML_HELD_ALERT_HOURS are alerted once each, grouped by kind with what each kind
waits for, and recorded as operations/ledger_health's ``no_overdue_holds`` check, which the check itself
computes the same when it runs with operations/ledger_health."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alert_channels import SECRET, Received
from dagster import AssetCheckKey, SensorResult, SkipReason, build_sensor_context, materialize
from instances import instance_for_test

from connector_assets.alerts.held_records import held_records_alert_sensor, no_overdue_holds
from connector_assets.operations.health import ledger_health
from connector_resources.ledger import Ledger, LedgerResource, schema
from connector_resources.refusals import KINDS, Refusal, master_missing, waits_for_record

SENSOR = held_records_alert_sensor()
CHECK = AssetCheckKey(ledger_health.key, "no_overdue_holds")
# A purchase order held for its supplier, as the jde_coupa flow holds one.
HELD_PURCHASE_ORDER = {
    "integration": "jde_coupa",
    "flow": "purchase_orders",
    "entity": "purchase_order",
    "status": "held",
    "depends_on": "coupa:supplier:JDE:4411",
}


def _hold(ledger: Ledger, key: str, hours_ago: float, supplier: str, refusal: Refusal | None = None) -> None:
    """Hold purchase order ``key`` on ``supplier`` since ``hours_ago``: waiting for it to sync, unless
    ``refusal`` says otherwise."""
    depends = f"coupa:supplier:JDE:{supplier}"
    reason = refusal.sentence if refusal else f"purchase_order {key} waits for {depends} to sync"
    fields = {**HELD_PURCHASE_ORDER, "depends_on": depends}
    refusal = refusal or waits_for_record(reason, depends)
    item = ledger.enqueue(source_key=key, payload={}, reason=reason, refusal=refusal, **fields)
    with ledger.engine.begin() as conn:  # held since then: the queue keeps an item's creation time
        when = datetime.now(UTC) - timedelta(hours=hours_ago)
        conn.execute(
            sa.update(schema.retry_queue).where(schema.retry_queue.c.id == item.id).values(created_at=when)
        )


def _tick(instance, resource: LedgerResource, cursor: str | None) -> SensorResult | SkipReason:
    with build_sensor_context(instance=instance, cursor=cursor, resources={"ledger": resource}) as context:
        return SENSOR(context)


def test_records_held_too_long_are_alerted_once_and_shown_as_a_check(received: Received, tmp_path) -> None:
    resource = LedgerResource(db_url=f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    ledger = resource.get()
    secret = f"purchase_order PO-1001 waits for coupa:supplier:JDE:4411 to sync ({SECRET})"
    _hold(ledger, "PO-1001", 30, "4411", waits_for_record(secret, "coupa:supplier:JDE:4411"))
    _hold(ledger, "PO-1002", 26, "4411")
    _hold(ledger, "PO-1003", 1, "4411")  # normal
    # Held on a supplier JDE lacks: a person creates it; overdue alike, its own kind.
    sentence = "purchase_order PO-1005: JDE has no supplier 4499"
    missing = master_missing(sentence, system="JDE", what="supplier", value="4499")
    _hold(ledger, "PO-1005", 27, "4499", missing)
    with instance_for_test() as instance:
        first = _tick(instance, resource, None)
        second = _tick(instance, resource, first.cursor)
        _hold(ledger, "PO-1004", 25, "4412")
        third = _tick(instance, resource, first.cursor)
        # The same tick evaluated again, as after a restart that cut it short before its cursor was saved:
        # what it sent is not sent again.
        _tick(instance, resource, first.cursor)
        # What the UI shows when operations/ledger_health runs with its check: the same count.
        run = materialize(
            [ledger_health, no_overdue_holds], instance=instance, resources={"ledger": resource}
        )
        [evaluation] = run.get_asset_check_evaluations()

    assert isinstance(first, SensorResult)
    [reported] = first.asset_events
    assert reported.asset_check_key == CHECK and not reported.passed
    assert reported.metadata["held_overdue"].value == 3
    kinds = reported.metadata["kinds"].value
    assert (
        "- 2 x Waits for another record to sync: supplier: waits for coupa:supplier:JDE:4411 (2); " in kinds
    )
    assert isinstance(second, SkipReason) and "3 overdue hold(s), none new" in (second.skip_message or "")
    assert isinstance(third, SensorResult) and third.asset_events[0].metadata["held_overdue"].value == 4
    assert evaluation.check_name == "no_overdue_holds" and not evaluation.passed
    assert evaluation.metadata["held_overdue"].value == 4

    (slack, teams, mail), (later, _, _) = received.texts()
    for body in (slack, teams, mail):
        text = " ".join(body.split())
        assert "3 record(s) held longer than 24 hours" in text
        assert "jde_coupa/purchase_orders (3)" in text
        # Grouped by kind, each naming what its records wait for and why they did not clear (or what to
        # do), with one record's sentence.
        assert (
            "2 x Waits for another record to sync: supplier: waits for coupa:supplier:JDE:4411 (2); did not "
            "clear by itself: waited 30 h for coupa:supplier:JDE:4411: it has not synced"
        ) in text
        assert "e.g. PO-1001: purchase_order PO-1001 waits for coupa:supplier:JDE:4411 to sync" in text
        assert (
            "1 x A master record is missing in the target: JDE, supplier: waits for coupa:supplier:JDE:4499 "
            f"(1); to do: {KINDS['master_missing'].action}; e.g. PO-1005: purchase_order PO-1005: JDE has no "
            "supplier 4499"
        ) in text
        assert "http://dagster.acme.example/assets/ledger_health?view=checks" in text
    assert "1 record(s) held longer than 24 hours" in later
    assert SECRET not in received.everything()
