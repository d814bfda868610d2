"""Coupa -> JD Edwards: its settings, typed, found by prefix (``settings.register_settings``)."""

from __future__ import annotations

from connector_resources.settings import Setting, register_settings

SETTINGS: tuple[Setting, ...] = register_settings(
    "coupa_jde",
    Setting(
        "coupa_jde_invoices_cron",
        "ML_COUPA_JDE_INVOICES_CRON",
        "5-59/15 * * * *",
        "Coupa -> JDE invoices (polling fallback for call-outs)",
    ),
    Setting(
        "coupa_jde_payments_cron",
        "ML_COUPA_JDE_PAYMENTS_CRON",
        "10-59/15 * * * *",
        "Coupa -> JDE payments (polling fallback for call-outs)",
    ),
    Setting(
        "coupa_jde_account_map",
        "ML_COUPA_JDE_ACCOUNT_MAP",
        "",
        "Coupa account -> JDE account table (optional)",
    ),
)
