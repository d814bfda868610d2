"""The one ``Definitions`` object of ml-connector, loaded by workspace.yaml.

Integrations add their assets, checks, jobs, schedules and sensors here as they are built; every API
resource is constructed from ``connector_resources.settings`` so the sandbox is the default and any
environment variable can point a connection elsewhere.
"""

from dagster import Definitions

from connector_assets.automation import automation_sensor
from connector_assets.flows.coupa_jde import (
    coupa_jde_assets,
    coupa_jde_jobs,
    coupa_jde_schedules,
    register_coupa_jde_replay_handlers,
)
from connector_assets.flows.inbox_sensor import coupa_jde_sensors
from connector_assets.flows.jde_coupa import jde_coupa_assets, register_replay_handlers
from connector_assets.flows.jde_coupa_invoices import (
    jde_coupa_invoice_assets,
    register_invoice_replay_handler,
)
from connector_assets.flows.jde_coupa_pos import jde_coupa_po_assets, register_po_replay_handler
from connector_assets.flows.jde_coupa_reconcile import jde_coupa_reconciliation
from connector_assets.flows.schedules import jde_coupa_jobs, jde_coupa_schedules
from connector_assets.jde.assets import jde_assets
from connector_assets.jde.schedules import (
    jde_gl_accounts_job,
    jde_gl_accounts_schedule,
    jde_poll_schedule,
    jde_sources_job,
)
from connector_assets.operations import ledger_health
from connector_assets.operations_replay import replay_due_records, replay_retry_queue
from connector_assets.saas_assets import saas_assets, saas_jobs, saas_resources, saas_schedules
from connector_assets.staging import StagingResource
from connector_resources.jde import JdeAisResource
from connector_resources.ledger import LedgerResource

register_replay_handlers()
register_po_replay_handler()
register_invoice_replay_handler()
register_coupa_jde_replay_handlers()

defs = Definitions(
    assets=[
        ledger_health,
        *jde_assets,
        *saas_assets,
        *jde_coupa_assets,
        *jde_coupa_po_assets,
        *jde_coupa_invoice_assets,
        jde_coupa_reconciliation,
        *coupa_jde_assets,
    ],
    jobs=[
        jde_sources_job,
        jde_gl_accounts_job,
        *saas_jobs,
        *jde_coupa_jobs,
        replay_retry_queue,
        *coupa_jde_jobs,
    ],
    schedules=[
        jde_poll_schedule,
        jde_gl_accounts_schedule,
        *saas_schedules,
        *jde_coupa_schedules,
        replay_due_records,
        *coupa_jde_schedules,
    ],
    sensors=[*coupa_jde_sensors, automation_sensor()],
    resources={
        "ledger": LedgerResource(),
        "staging": StagingResource(),
        "jde": JdeAisResource.from_settings(),
        **saas_resources(),
    },
)
