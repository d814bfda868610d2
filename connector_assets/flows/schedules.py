"""When the JD Edwards -> Coupa flows run: today's partition, from the JDE tables to the Coupa writes.

``ML_JDE_COUPA_CRON`` sets the cadence (default hourly, like the JDE reads). The job carries the JDE
source tables the flows read, so one run polls JDE and writes what changed; the unpartitioned account
mapping table is materialized on its own when the file changes, and the reconciliation when an operator
(or a daily schedule of their own) asks for it.
"""

import os

from dagster import AssetSelection, define_asset_job

from connector_assets.flows.jde_coupa import INTEGRATION
from connector_assets.flows.jde_coupa_pos import ACCOUNT_MAP_ASSET
from connector_assets.flows.jde_coupa_reconcile import NAME as RECONCILIATION
from connector_assets.jde.extract import jde_timezone
from connector_assets.jde.tables import ADDRESS_BOOK, AP_LEDGER, PO_HEADERS, PO_LINES, SUPPLIERS
from connector_assets.polling import build_poll_schedule

jde_coupa_job = define_asset_job(
    "jde_coupa_sync",
    selection=(AssetSelection.groups(INTEGRATION) - AssetSelection.assets(ACCOUNT_MAP_ASSET, RECONCILIATION))
    | AssetSelection.assets(
        SUPPLIERS.asset, ADDRESS_BOOK.asset, PO_HEADERS.asset, PO_LINES.asset, AP_LEDGER.asset
    ),
    description="JDE suppliers, purchase orders and vouchers changed on a day -> Coupa.",
)

jde_coupa_schedule = build_poll_schedule(
    "jde_coupa_sync_schedule",
    jde_coupa_job,
    cron=os.environ.get("ML_JDE_COUPA_CRON", "").strip() or "5 * * * *",
    timezone=jde_timezone().key,
    description="Sync today's JDE supplier and purchase-order changes to Coupa.",
)
