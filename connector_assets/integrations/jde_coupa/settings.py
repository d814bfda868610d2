"""JD Edwards -> Coupa: its settings, typed, found by prefix (``settings.register_settings``)."""

from __future__ import annotations

from connector_resources.settings import Setting, register_settings

SETTINGS: tuple[Setting, ...] = register_settings(
    "jde_coupa",
    Setting("jde_coupa_suppliers_cron", "ML_JDE_COUPA_SUPPLIERS_CRON", "5 * * * *", "JDE -> Coupa suppliers"),
    Setting(
        "jde_coupa_purchase_orders_cron",
        "ML_JDE_COUPA_PURCHASE_ORDERS_CRON",
        "10 * * * *",
        "JDE -> Coupa purchase orders",
    ),
    Setting(
        "jde_coupa_invoices_cron",
        "ML_JDE_COUPA_INVOICES_CRON",
        "15 * * * *",
        "JDE vouchers -> Coupa invoices",
    ),
    Setting(
        "jde_coupa_account_map",
        "ML_JDE_COUPA_ACCOUNT_MAP",
        "mappings/sandbox/jde_coupa_accounts.csv",
        "JDE account -> Coupa account table (mappings/README.md)",
    ),
    Setting(
        "jde_coupa_payment_terms_map",
        "ML_JDE_COUPA_PAYMENT_TERMS_MAP",
        "mappings/sandbox/jde_coupa_payment_terms.csv",
        "JDE payment terms (F0401 TRAP) -> Coupa payment term table (mappings/README.md)",
    ),
)
