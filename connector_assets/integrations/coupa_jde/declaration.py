"""What Coupa -> JD Edwards puts into Dagster and ``ml-connector replay`` (``flows.assembly``): the flows'
assets, jobs, poll schedules, the inbox sensor, the reconciliation (``reconcile``: its asset, job and daily
schedule) and the replay handlers.

Each flow is the shared flow factory's steps (mapped, check, written) followed by ``<flow>_inbox_done``
(acknowledges the call-outs the run consumed) and ``<flow>_marked_exported`` (marks what reached JDE
``exported`` in Coupa, as Coupa's ERP integration pattern asks). Payments come after the invoices of the
same run, so a payment and its invoice arriving together are both written in one run instead of the
payment waiting in the queue for the next.
"""

from dagster import AssetsDefinition, AssetSelection, define_asset_job

from connector_assets.coupa.documents import INVOICES, PAYMENTS
from connector_assets.flows.assembly import Declaration, Flow
from connector_assets.flows.assets import executable_keys
from connector_assets.flows.core import FlowSpec
from connector_assets.flows.documents import DocumentSource, build_inbox_sensor
from connector_assets.flows.export_marks import ExportMark, build_export_marks
from connector_assets.flows.inbox_flows import inbox_flow_assets, inbox_flow_jobs
from connector_assets.flows.jobs import FlowJob
from connector_assets.integrations.coupa_jde.accounts import ACCOUNT_MAP_ASSET, coupa_jde_account_map
from connector_assets.integrations.coupa_jde.integration import INTEGRATION
from connector_assets.integrations.coupa_jde.invoices import INVOICES_FLOW
from connector_assets.integrations.coupa_jde.payments import PAYMENTS_FLOW, payment_records
from connector_assets.integrations.coupa_jde.reconcile import (
    reconciliation_assets,
    reconciliation_jobs,
    reconciliation_schedules,
)
from connector_assets.integrations.coupa_jde.replay import register_replay_handlers
from connector_assets.jde.tables import GL_ACCOUNTS
from connector_assets.saas_assets import saas_partitions


def _export_marks(mark: ExportMark) -> AssetsDefinition:
    return build_export_marks(
        mark,
        partitions_def=saas_partitions,
        # The polling session's scopes include the invoice and payment writes the marks are (§2.8).
        open_source=lambda context: context.resources.coupa.session(flow="polling"),
        source_resource="coupa",
        group=INTEGRATION,
        kinds={"coupa"},
    )


def _flow(spec: FlowSpec, source: DocumentSource, upstream: list[str], mark: ExportMark) -> list:
    return [
        *inbox_flow_assets(
            spec,
            source,
            partitions_def=saas_partitions,
            upstream=upstream,
            resource_keys={"jde"},
        ),
        _export_marks(mark),
    ]


coupa_jde_invoice_flow = _flow(
    INVOICES_FLOW, INVOICES, [GL_ACCOUNTS.asset, ACCOUNT_MAP_ASSET], ExportMark(INVOICES_FLOW, "invoices")
)
coupa_jde_payment_flow = _flow(
    PAYMENTS_FLOW,
    PAYMENTS,
    [INVOICES_FLOW.key("written")],
    ExportMark(
        PAYMENTS_FLOW,
        "payments",
        document_of=lambda source_key: source_key.split(":", 1)[0],
        records_of=payment_records,
    ),
)
coupa_jde_flow_assets = [*coupa_jde_invoice_flow, *coupa_jde_payment_flow]
coupa_jde_assets = [coupa_jde_account_map, *coupa_jde_flow_assets]

# Both flows in one run (the inbox sensor's job, and for backfills): a payment and its invoice arriving
# together are both written, in that order. Each flow also has a job and a poll schedule of its own.
# A job stages the mapping table its invoices are mapped with first, in the same run, so a run never
# finds the table missing and the snapshot it used is the one its materialization shows.
coupa_jde_job = define_asset_job(
    "coupa_jde_flows",
    selection=AssetSelection.assets(*executable_keys(coupa_jde_flow_assets), ACCOUNT_MAP_ASSET),
    description="Coupa invoices -> JDE batch vouchers and Coupa Pay payments -> JDE voucher payments for a "
    "day (the Coupa poll's staged partition plus the webhook inbox).",
)
FLOW_JOBS = {
    INVOICES_FLOW: FlowJob(
        executable_keys([coupa_jde_account_map, *coupa_jde_invoice_flow]), "ML_COUPA_JDE_INVOICES_CRON"
    ),
    PAYMENTS_FLOW: FlowJob(executable_keys(coupa_jde_payment_flow), "ML_COUPA_JDE_PAYMENTS_CRON"),
}
# The polling fallback, per flow: a few minutes after each Coupa poll (coupa_sources_poll, */15).
coupa_jde_flow_jobs, coupa_jde_schedules = inbox_flow_jobs(
    FLOW_JOBS,
    lambda spec: f"Coupa {spec.name} of a day (poll + webhook inbox) -> JDE, then marked exported.",
    lambda spec: (
        f"Apply today's polled Coupa {spec.name} to JDE (missed call-outs included); "
        "after midnight, close yesterday once."
    ),
)
coupa_jde_jobs = [coupa_jde_job, *coupa_jde_flow_jobs.values()]

coupa_jde_inbox_sensor = build_inbox_sensor(
    "coupa_jde_inbox_sensor",
    coupa_jde_job,
    (INVOICES, PAYMENTS),
    partitions_def=saas_partitions,
    run_key_prefix="coupa-inbox",
    description="Coupa invoice/payment call-outs stored in the webhook inbox -> runs of coupa_jde_flows for "
    "the days the records changed on.",
)

DECLARATION = Declaration(
    flows=(Flow(INVOICES_FLOW, coupa_jde_invoice_flow), Flow(PAYMENTS_FLOW, coupa_jde_payment_flow)),
    tables=[coupa_jde_account_map],
    assets=reconciliation_assets,
    jobs=[*coupa_jde_jobs, *reconciliation_jobs],
    schedules=[*coupa_jde_schedules, *reconciliation_schedules()],
    sensors=[coupa_jde_inbox_sensor],
    replays=register_replay_handlers,
)
