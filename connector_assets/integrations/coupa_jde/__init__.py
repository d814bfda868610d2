"""Coupa -> JD Edwards: approved invoices become JDE batch vouchers (F0411Z1/F0911Z1) and Coupa Pay
payments are recorded against those vouchers (F0411), both through the ml-connector orchestrations.

The records come from Coupa call-outs (the webhook inbox) and from the poll of the day, read together
(``documents``); invoices and payments are mapped by pure functions (``invoices``, ``payments``) and
written by the shared JDE targets (``connector_assets.jde.targets``). ``definitions`` holds what Dagster
shows: assets, jobs, schedules and the inbox sensor, as one ``Definitions``; ``replay`` the handlers of
``ml-connector replay``.
"""

from connector_assets.integrations.coupa_jde.accounts import (
    ACCOUNT_MAP_ASSET,
    ACCOUNT_MAP_ENV,
    ACCOUNTS,
    coupa_jde_account_map,
)
from connector_assets.integrations.coupa_jde.definitions import (
    coupa_jde_assets,
    coupa_jde_inbox_sensor,
    coupa_jde_job,
    coupa_jde_jobs,
    coupa_jde_schedules,
    defs,
)
from connector_assets.integrations.coupa_jde.integration import INTEGRATION
from connector_assets.integrations.coupa_jde.invoices import INVOICES_FLOW, BatchKey, VoucherBatches
from connector_assets.integrations.coupa_jde.payments import PAYMENTS_FLOW, VoucherPayments, map_payment
from connector_assets.integrations.coupa_jde.replay import register_replay_handlers
from connector_assets.jde.targets import VoucherNotReady

__all__ = [
    "ACCOUNTS",
    "ACCOUNT_MAP_ASSET",
    "ACCOUNT_MAP_ENV",
    "INTEGRATION",
    "INVOICES_FLOW",
    "PAYMENTS_FLOW",
    "BatchKey",
    "VoucherBatches",
    "VoucherNotReady",
    "VoucherPayments",
    "coupa_jde_account_map",
    "coupa_jde_assets",
    "coupa_jde_inbox_sensor",
    "coupa_jde_job",
    "coupa_jde_jobs",
    "coupa_jde_schedules",
    "defs",
    "map_payment",
    "register_replay_handlers",
]
