"""Assets about the connector itself, so operators see its state next to the flows in the UI."""

from dagster import AssetExecutionContext, AutomationCondition, MaterializeResult, MetadataValue, asset

from connector_assets.asset_keys import OPERATIONS, asset_key
from connector_resources.ledger import LedgerResource

LEDGER_HEALTH = asset_key(OPERATIONS, "ledger_health")


@asset(
    key=LEDGER_HEALTH,
    group_name=OPERATIONS,
    kinds={"sqlalchemy"},
    automation_condition=AutomationCondition.on_cron("*/15 * * * *"),
    description="Counts from the ledger: cross-references, audit events, open and held retry-queue records, "
    "unprocessed webhook events. A growing retry queue or inbox is the first sign a flow needs attention.",
)
def ledger_health(context: AssetExecutionContext, ledger: LedgerResource) -> MaterializeResult:
    """Why an asset: its metadata history plots queue depth over time in the Dagster UI for free."""
    summary = ledger.get().summary()
    context.log.info("ledger summary: %s", ", ".join(f"{k}={v}" for k, v in sorted(summary.items())))
    metadata = {key: MetadataValue.int(int(value)) for key, value in summary.items()}
    return MaterializeResult(metadata=metadata)
