"""The replay job: choose retry-queue records by reason (or flow, record, due time) and replay them."""

import logging

from given_replays import replays_of
from instances import instance_for_test

from connector_assets.operations.replay import replay_retry_queue
from connector_resources.ledger import Ledger, LedgerResource
from connector_resources.replay import ReplayOutcome


def test_the_job_replays_only_the_chosen_records(tmp_path):
    db = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    ledger = Ledger(db)
    for key, reason in (
        ("V1", "Coupa answered 503"),
        ("V2", "account 20.8150 not found in F0901"),
        ("V3", "Coupa answered 503"),
    ):
        ledger.enqueue(
            integration="itest", flow="vendors", entity="vendor", source_key=key, payload={}, reason=reason
        )
    written: list[str] = []

    def handler(item, _ledger):
        written.append(item.source_key)
        return ReplayOutcome(target_id=f"T-{item.source_key}", detail="created")

    replays = replays_of({("itest", "vendors"): handler})
    with instance_for_test() as instance:
        result = replay_retry_queue.execute_in_process(
            instance=instance,
            resources={"ledger": LedgerResource(db_url=db), "replays": replays},
            run_config={"ops": {"replay_queued_records": {"config": {"reason_contains": "503"}}}},
        )
    assert result.success
    assert sorted(written) == ["V1", "V3"]
    assert [item.source_key for item in ledger.open_items(integration="itest")] == ["V2"]
    assert ledger.history("T-V1")[0].action == "replay"


def test_a_record_failing_again_is_listed_in_the_run_at_info_not_as_a_console_warning(tmp_path):
    """make dev's console shows Dagster warnings: a queue of records refused again on every 15-minute
    replay (already queued and alerted on) would fill it. The run's page still lists each one."""
    db = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    Ledger(db).enqueue(
        integration="itest", flow="orders", entity="order", source_key="PO9", payload={}, reason="CAD"
    )

    def handler(item, _ledger):
        raise ValueError("the value 'CAD' of attribute CurrencyCode isn't a valid currency")

    replays = replays_of({("itest", "orders"): handler})
    with instance_for_test() as instance:
        result = replay_retry_queue.execute_in_process(
            instance=instance, resources={"ledger": LedgerResource(db_url=db), "replays": replays}
        )
        entries = [e for e in instance.all_logs(result.run_id) if e.dagster_event is None]
    assert result.success
    again = [e for e in entries if "PO9 failed again" in e.user_message]
    assert len(again) == 1 and "CurrencyCode" in again[0].user_message
    assert again[0].level == logging.INFO
