"""Oracle Fusion <-> Procurify: its settings, typed, found by prefix (``settings.register_settings``)."""

from __future__ import annotations

from connector_assets.flows.integration_settings import SettingsOf
from connector_resources.setting_kinds import EMAIL, Choice, Items, Text
from connector_resources.settings import Setting

setting = SettingsOf("fusion_procurify")

SETTINGS: tuple[Setting, ...] = setting.register(
    # Oracle Fusion <-> Procurify (issue 15): neither side pushes events; every flow polls every 10 minutes.
    setting(
        "suppliers_cron",
        "0,10,20,30,40,50 * * * *",
        "Fusion suppliers -> Procurify vendors (matched by name, cross-reference, else created)",
    ),
    setting(
        "vendors_cron",
        "1,11,21,31,41,51 * * * *",
        "Procurify vendors -> their Fusion supplier (matched by name or a manual cross-reference)",
    ),
    setting(
        "account_codes_cron",
        "3 * * * *",
        "Fusion natural accounts in the account map -> Procurify account codes",
    ),
    setting(
        "purchase_orders_cron",
        "2,12,22,32,42,52 * * * *",
        "approved Procurify purchase orders (or requisitions) -> Fusion purchase orders",
    ),
    setting(
        "invoices_cron", "4,14,24,34,44,54 * * * *", "approved Procurify bills -> Fusion payables invoices"
    ),
    setting(
        "bill_statuses",
        "2,4,6,7,8",
        "Procurify -> Fusion invoices: bill statuses that count as approved (2 Approved and the payment "
        "states after it)",
        Items(noun="Procurify bill status codes", allowed=("0", "1", "2", "3", "4", "5", "6", "7", "8")),
    ),
    setting(
        "bill_tax_account",
        "",
        "Fusion charge account (combination, e.g. 101-10-22500-000) of a bill's tax line; blank = the "
        "account of the bill's largest item",
    ),
    setting(
        "bill_freight_account",
        "",
        "Fusion charge account (combination) of a bill's freight / additional cost lines; blank = the "
        "account of the bill's largest item",
    ),
    setting(
        "ledger_currency",
        "USD",
        "currency of the Fusion business unit's ledger: an invoice in another currency carries "
        "ML_FUSION_PROCURIFY_CONVERSION_RATE_TYPE",
        Text(pattern="[A-Za-z]{3}", says="a 3-letter currency code"),
    ),
    setting(
        "conversion_rate_type",
        "Corporate",
        "Fusion conversion rate type of a foreign-currency invoice (Fusion refuses one without it)",
    ),
    setting(
        "payment_status_cron",
        "6,16,26,36,46,56 * * * *",
        "Fusion payables payments -> Procurify bills marked paid",
    ),
    setting(
        "reconcile_cron",
        "40 6 * * *",
        "daily reconciliation of the Procurify bill register against Fusion AP",
    ),
    setting(
        "account_combinations_cron",
        "55 * * * *",
        "re-read Fusion's account combinations (accountCombinationsLOV, whole) the charge accounts are "
        "checked against",
    ),
    setting(
        "account_map",
        "mappings/sandbox/fusion_procurify_accounts.csv",
        "Procurify account code <-> Fusion natural account (segment 3) table (mappings/README.md)",
    ),
    setting(
        "department_map",
        "mappings/sandbox/fusion_procurify_departments.csv",
        "Procurify department -> Fusion company and cost center (segments 1-2) table (mappings/README.md)",
    ),
    setting(
        "intercompany",
        "000",
        "Fusion intercompany segment (segment 4) of every charge account the flows build",
    ),
    setting(
        "account_segments",
        "_SEGMENT1,_SEGMENT2,_SEGMENT3,_SEGMENT4",
        "the four accountCombinationsLOV attributes holding company, cost center, natural account and "
        "intercompany, comma-separated (their spelling is unconfirmed; staging fails naming this setting "
        "when none is readable)",
        Items(noun="segment attribute names", count=4),
    ),
    setting(
        "account_value_set",
        "",
        "Fusion value set code of the natural account segment (the sandbox's: SBX_ACCOUNT): its value "
        "descriptions become the Procurify account codes' descriptions; blank = 'Fusion account <value>'",
    ),
    setting(
        "vendor_fallback_email",
        "",
        "Fusion -> Procurify suppliers: e-mail address given to a new vendor (Procurify requires one; the "
        "Fusion supplier resource carries none); blank = a supplier with no vendor yet is refused",
        EMAIL,
    ),
    setting(
        "vendor_xref",
        "",
        "manual vendor matches file (procurify_vendor_id,fusion_supplier_number), loaded into the ledger as "
        "manual matches no flow overwrites; blank = none (`ml-connector xref` sets them one by one)",
    ),
    setting(
        "order_source",
        "purchase_orders",
        "what becomes a Fusion purchase order: purchase_orders (Procurify POs) or requisitions (approved "
        "Procurify requisitions, for customers who buy in Fusion)",
        Choice(("purchase_orders", "requisitions")),
    ),
    setting(
        "order_prefix",
        "PFY",
        "prefix of the Fusion order number made of a Procurify PO or requisition number (PFY1187, PFYR60)",
        Text(
            pattern="[A-Za-z][A-Za-z0-9-]{0,7}",
            says="1 to 8 letters, digits or dashes starting with a letter",
        ),
    ),
    setting(
        "buyer",
        "",
        "Fusion buyer (display name) of the purchase orders the connector creates; blank = the pod's default",
    ),
)
