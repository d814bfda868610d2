"""The one ``Definitions`` object of ml-connector, loaded by workspace.yaml.

What every integration stands on is defined here (the JDE tables, the SaaS entities, the operations and
the resources); each integration brings its own ``Definitions`` (``connector_assets.integrations``) and
they are merged. Every API resource is constructed from ``connector_resources.settings`` so the sandbox
is the default and any environment variable can point a connection elsewhere.
"""

from dagster import Definitions

from connector_assets.alerts import alert_definitions, with_written_freshness
from connector_assets.asset_metadata import with_owners
from connector_assets.automation import automation_sensor
from connector_assets.executors import run_executor
from connector_assets.flows.replay_resources import settings_resources
from connector_assets.integrations import INTEGRATIONS
from connector_assets.jde.assets import jde_assets
from connector_assets.jde.schedules import (
    jde_gl_accounts_job,
    jde_gl_accounts_schedule,
    jde_poll_schedule,
    jde_sources_job,
)
from connector_assets.operations import ledger_health
from connector_assets.operations_replay import replay_due_records, replay_retry_queue
from connector_assets.saas_assets import saas_assets, saas_jobs, saas_schedules
from connector_resources.ledger import LedgerResource

for integration in INTEGRATIONS:
    integration.register_replay_handlers()

defs = with_owners(
    with_written_freshness(
        Definitions.merge(
            Definitions(
                assets=[ledger_health, *jde_assets, *saas_assets],
                jobs=[jde_sources_job, jde_gl_accounts_job, *saas_jobs, replay_retry_queue],
                schedules=[jde_poll_schedule, jde_gl_accounts_schedule, *saas_schedules, replay_due_records],
                sensors=[automation_sensor()],
                resources={"ledger": LedgerResource(), **settings_resources()},
                executor=run_executor(),
            ),
            *(integration.defs for integration in INTEGRATIONS),
            alert_definitions(),
        )
    )
)
