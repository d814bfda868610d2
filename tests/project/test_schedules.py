"""Poll schedules: today's partition every tick, yesterday closed once after midnight."""

from datetime import UTC, datetime

from dagster import build_schedule_context

from connector_assets.definitions import defs


def _requests(name: str, at: datetime):
    with build_schedule_context(
        scheduled_execution_time=at, repository_def=defs.get_repository_def()
    ) as context:
        return defs.resolve_schedule_def(name).evaluate_tick(context).run_requests


def test_a_daytime_tick_polls_today_only():
    [request] = _requests("jde_poll_schedule", datetime(2026, 11, 21, 10, 0, tzinfo=UTC))
    assert request.partition_key == "2026-11-21"
    assert request.run_key == "poll-2026-11-21T10:00"


def test_the_first_tick_after_midnight_also_closes_yesterday():
    requests = _requests("jde_poll_schedule", datetime(2026, 11, 22, 0, 0, tzinfo=UTC))
    assert [(r.partition_key, r.run_key) for r in requests] == [
        ("2026-11-22", "poll-2026-11-22T00:00"),
        ("2026-11-21", "close-2026-11-21"),  # a fixed run key: Dagster launches it only once
    ]


def test_gl_accounts_refresh_daily():
    [request] = _requests("jde_gl_accounts_schedule", datetime(2026, 11, 21, 5, 0, tzinfo=UTC))
    assert request.run_key == "gl-2026-11-21" and request.partition_key is None


def test_every_flow_has_a_schedule_of_its_own_on_a_job_of_its_own():
    flows = {
        "jde_coupa_suppliers_schedule": ("5 * * * *", {"jde/suppliers", "jde_coupa/suppliers_written"}),
        "jde_coupa_purchase_orders_schedule": (
            "10 * * * *",
            {"jde/po_lines", "jde_coupa/purchase_orders_written"},
        ),
        "jde_coupa_invoices_schedule": ("15 * * * *", {"jde/ap_ledger", "jde_coupa/invoices_written"}),
        "coupa_jde_invoices_poll": ("5-59/15 * * * *", {"coupa_jde/invoices_marked_exported"}),
        "coupa_jde_payments_poll": ("10-59/15 * * * *", {"coupa_jde/payments_marked_exported"}),
    }
    for name, (cron, some_assets) in flows.items():
        schedule = defs.resolve_schedule_def(name)
        assert schedule.cron_schedule == cron
        job = defs.resolve_job_def(schedule.job_name)
        keys = {key.to_user_string() for key in job.asset_layer.selected_asset_keys}
        assert some_assets <= keys, (name, keys)
        assert len([k for k in keys if k.endswith("_written")]) == 1, (name, keys)  # one flow per job
        [request] = _requests(name, datetime(2026, 11, 21, 10, 5, tzinfo=UTC))
        assert request.partition_key == "2026-11-21"


def test_a_flow_reading_what_is_staged_apart_waits_until_it_was_staged_once():
    """On a new instance Fusion's account combinations were never staged: the purchase order and invoice
    schedules skip naming them (no run fails red), then close their days once they are."""
    from dagster import AssetKey, AssetMaterialization
    from instances import instance_for_test

    at = datetime(2026, 11, 22, 0, 5, tzinfo=UTC)
    combinations = "fusion_procurify/account_combinations"
    with instance_for_test() as instance:
        for name in ("fusion_procurify_purchase_orders_schedule", "fusion_procurify_invoices_schedule"):
            with build_schedule_context(
                instance=instance, scheduled_execution_time=at, repository_def=defs.get_repository_def()
            ) as context:
                result = defs.resolve_schedule_def(name).evaluate_tick(context)
            assert not result.run_requests and combinations in result.skip_message, name
        # Flows that do not read them are not held back.
        with build_schedule_context(
            instance=instance, scheduled_execution_time=at, repository_def=defs.get_repository_def()
        ) as context:
            assert (
                defs.resolve_schedule_def("fusion_procurify_vendors_schedule")
                .evaluate_tick(context)
                .run_requests
            )
        instance.report_runless_asset_event(AssetMaterialization(AssetKey.from_user_string(combinations)))
        with build_schedule_context(
            instance=instance, scheduled_execution_time=at, repository_def=defs.get_repository_def()
        ) as context:
            [request] = (
                defs.resolve_schedule_def("fusion_procurify_invoices_schedule")
                .evaluate_tick(context)
                .run_requests
            )
        assert request.partition_key == "2026-11-21" and request.run_key == "close-2026-11-21"
