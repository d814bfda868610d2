"""Oracle Fusion <-> Procurify: its settings, typed, found by prefix (``settings.register_settings``)."""

from __future__ import annotations

from connector_resources.setting_kinds import EMAIL, Choice, Items, Text
from connector_resources.settings import Setting, register_settings

SETTINGS: tuple[Setting, ...] = register_settings(
    "fusion_procurify",
    # Oracle Fusion <-> Procurify (issue 15): neither side pushes events; every flow polls every 10 minutes.
    Setting(
        "fusion_procurify_suppliers_cron",
        "ML_FUSION_PROCURIFY_SUPPLIERS_CRON",
        "0,10,20,30,40,50 * * * *",
        "Fusion suppliers -> Procurify vendors (matched by name, cross-reference, else created)",
    ),
    Setting(
        "fusion_procurify_vendors_cron",
        "ML_FUSION_PROCURIFY_VENDORS_CRON",
        "1,11,21,31,41,51 * * * *",
        "Procurify vendors -> their Fusion supplier (matched by name or a manual cross-reference)",
    ),
    Setting(
        "fusion_procurify_account_codes_cron",
        "ML_FUSION_PROCURIFY_ACCOUNT_CODES_CRON",
        "3 * * * *",
        "Fusion natural accounts in the account map -> Procurify account codes",
    ),
    Setting(
        "fusion_procurify_purchase_orders_cron",
        "ML_FUSION_PROCURIFY_PURCHASE_ORDERS_CRON",
        "2,12,22,32,42,52 * * * *",
        "approved Procurify purchase orders (or requisitions) -> Fusion purchase orders",
    ),
    Setting(
        "fusion_procurify_invoices_cron",
        "ML_FUSION_PROCURIFY_INVOICES_CRON",
        "4,14,24,34,44,54 * * * *",
        "approved Procurify bills -> Fusion payables invoices",
    ),
    Setting(
        "fusion_procurify_bill_statuses",
        "ML_FUSION_PROCURIFY_BILL_STATUSES",
        "2,4,6,7,8",
        "Procurify -> Fusion invoices: bill statuses that count as approved (2 Approved and the payment "
        "states after it)",
        kind=Items(noun="Procurify bill status codes", allowed=("0", "1", "2", "3", "4", "5", "6", "7", "8")),
    ),
    Setting(
        "fusion_procurify_bill_tax_account",
        "ML_FUSION_PROCURIFY_BILL_TAX_ACCOUNT",
        "",
        "Fusion charge account (combination, e.g. 101-10-22500-000) of a bill's tax line; blank = the "
        "account of the bill's largest item",
    ),
    Setting(
        "fusion_procurify_bill_freight_account",
        "ML_FUSION_PROCURIFY_BILL_FREIGHT_ACCOUNT",
        "",
        "Fusion charge account (combination) of a bill's freight / additional cost lines; blank = the "
        "account of the bill's largest item",
    ),
    Setting(
        "fusion_procurify_ledger_currency",
        "ML_FUSION_PROCURIFY_LEDGER_CURRENCY",
        "USD",
        "currency of the Fusion business unit's ledger: an invoice in another currency carries "
        "ML_FUSION_PROCURIFY_CONVERSION_RATE_TYPE",
        kind=Text(pattern="[A-Za-z]{3}", says="a 3-letter currency code"),
    ),
    Setting(
        "fusion_procurify_conversion_rate_type",
        "ML_FUSION_PROCURIFY_CONVERSION_RATE_TYPE",
        "Corporate",
        "Fusion conversion rate type of a foreign-currency invoice (Fusion refuses one without it)",
    ),
    Setting(
        "fusion_procurify_payment_status_cron",
        "ML_FUSION_PROCURIFY_PAYMENT_STATUS_CRON",
        "6,16,26,36,46,56 * * * *",
        "Fusion payables payments -> Procurify bills marked paid",
    ),
    Setting(
        "fusion_procurify_reconcile_cron",
        "ML_FUSION_PROCURIFY_RECONCILE_CRON",
        "40 6 * * *",
        "daily reconciliation of the Procurify bill register against Fusion AP",
    ),
    Setting(
        "fusion_procurify_account_combinations_cron",
        "ML_FUSION_PROCURIFY_ACCOUNT_COMBINATIONS_CRON",
        "55 * * * *",
        "re-read Fusion's account combinations (accountCombinationsLOV, whole) the charge accounts are "
        "checked against",
    ),
    Setting(
        "fusion_procurify_account_map",
        "ML_FUSION_PROCURIFY_ACCOUNT_MAP",
        "mappings/sandbox/fusion_procurify_accounts.csv",
        "Procurify account code <-> Fusion natural account (segment 3) table (mappings/README.md)",
    ),
    Setting(
        "fusion_procurify_department_map",
        "ML_FUSION_PROCURIFY_DEPARTMENT_MAP",
        "mappings/sandbox/fusion_procurify_departments.csv",
        "Procurify department -> Fusion company and cost center (segments 1-2) table (mappings/README.md)",
    ),
    Setting(
        "fusion_procurify_intercompany",
        "ML_FUSION_PROCURIFY_INTERCOMPANY",
        "000",
        "Fusion intercompany segment (segment 4) of every charge account the flows build",
    ),
    Setting(
        "fusion_procurify_account_segments",
        "ML_FUSION_PROCURIFY_ACCOUNT_SEGMENTS",
        "_SEGMENT1,_SEGMENT2,_SEGMENT3,_SEGMENT4",
        "the four accountCombinationsLOV attributes holding company, cost center, natural account and "
        "intercompany, comma-separated (their spelling is unconfirmed; staging fails naming this setting "
        "when none is readable)",
        kind=Items(noun="segment attribute names", count=4),
    ),
    Setting(
        "fusion_procurify_account_value_set",
        "ML_FUSION_PROCURIFY_ACCOUNT_VALUE_SET",
        "",
        "Fusion value set code of the natural account segment (the sandbox's: SBX_ACCOUNT): its value "
        "descriptions become the Procurify account codes' descriptions; blank = 'Fusion account <value>'",
    ),
    Setting(
        "fusion_procurify_vendor_fallback_email",
        "ML_FUSION_PROCURIFY_VENDOR_FALLBACK_EMAIL",
        "",
        "Fusion -> Procurify suppliers: e-mail address given to a new vendor (Procurify requires one; the "
        "Fusion supplier resource carries none); blank = a supplier with no vendor yet is refused",
        kind=EMAIL,
    ),
    Setting(
        "fusion_procurify_vendor_xref",
        "ML_FUSION_PROCURIFY_VENDOR_XREF",
        "",
        "manual vendor matches file (procurify_vendor_id,fusion_supplier_number), loaded into the ledger as "
        "manual matches no flow overwrites; blank = none (`ml-connector xref` sets them one by one)",
    ),
    Setting(
        "fusion_procurify_order_source",
        "ML_FUSION_PROCURIFY_ORDER_SOURCE",
        "purchase_orders",
        "what becomes a Fusion purchase order: purchase_orders (Procurify POs) or requisitions (approved "
        "Procurify requisitions, for customers who buy in Fusion)",
        kind=Choice(("purchase_orders", "requisitions")),
    ),
    Setting(
        "fusion_procurify_order_prefix",
        "ML_FUSION_PROCURIFY_ORDER_PREFIX",
        "PFY",
        "prefix of the Fusion order number made of a Procurify PO or requisition number (PFY1187, PFYR60)",
        kind=Text(
            pattern="[A-Za-z][A-Za-z0-9-]{0,7}",
            says="1 to 8 letters, digits or dashes starting with a letter",
        ),
    ),
    Setting(
        "fusion_procurify_buyer",
        "ML_FUSION_PROCURIFY_BUYER",
        "",
        "Fusion buyer (display name) of the purchase orders the connector creates; blank = the pod's default",
    ),
)
