"""Procore -> JD Edwards: its settings, typed, found by prefix (``settings.register_settings``), each
declared by its variable (``flows.integration_settings``)."""

from __future__ import annotations

from connector_assets.flows.integration_settings import setting
from connector_resources.setting_kinds import Items, OnOff, Text
from connector_resources.settings import Setting, register_settings

SETTINGS: tuple[Setting, ...] = register_settings(
    "procore_jde",
    # Procore -> JD Edwards (issue 13): daily at 02:00 (project workflows close their day), one cron per flow.
    setting(
        "ML_PROCORE_JDE_VENDORS_CRON",
        "0 2 * * *",
        "Procore vendors -> JDE suppliers (address book + supplier master)",
    ),
    setting(
        "ML_PROCORE_JDE_SUPPLIERS_CRON",
        "5 2 * * *",
        "JDE supplier changes (address, contact) -> the linked Procore vendors",
    ),
    setting(
        "ML_PROCORE_JDE_PURCHASE_ORDERS_CRON",
        "10 2 * * *",
        "Procore commitments of approved requisitions -> JDE purchase orders",
    ),
    setting(
        "ML_PROCORE_JDE_VOUCHERS_CRON",
        "20 2 * * *",
        "approved Procore requisitions -> JDE batch vouchers (F0411Z1/F0911Z1)",
    ),
    setting(
        "ML_PROCORE_JDE_CHANGE_ORDERS_CRON",
        "30 2 * * *",
        "approved Procore commitment change orders -> JDE purchase order updates",
    ),
    setting(
        "ML_PROCORE_JDE_RECONCILE_CRON",
        "0 4 * * *",
        "Procore -> JDE reconciliation (requisitions vs vouchers and PO lines, commitments, vendors)",
    ),
    setting(
        "ML_PROCORE_JDE_APPROVED_STATUSES",
        "approved,approved_as_noted",
        "Procore -> JDE: requisition (subcontractor invoice) statuses that count as approved "
        "(comma-separated)",
        kind=Items(noun="statuses", case="lower", at_least=0),
    ),
    setting(
        "ML_PROCORE_JDE_CHANGE_ORDER_STATUSES",
        "approved",
        "Procore -> JDE: commitment change order statuses that update the JDE purchase order "
        "(comma-separated; Procore's vocabulary is unconfirmed)",
        kind=Items(noun="statuses", case="lower", at_least=0),
    ),
    setting(
        "ML_PROCORE_JDE_VOUCHERS",
        "on",
        "Procore -> JDE: an approved requisition also becomes an AP batch voucher against its purchase "
        "order (on / off)",
        kind=OnOff(),
    ),
    setting(
        "ML_PROCORE_JDE_PO_ORDER_TYPE",
        "OP",
        "Procore -> JDE: JDE order type (DCTO) of a Procore purchase order contract",
    ),
    setting(
        "ML_PROCORE_JDE_WO_ORDER_TYPE",
        "OS",
        "Procore -> JDE: JDE order type (DCTO) of a Procore work order contract (subcontract)",
    ),
    setting(
        "ML_PROCORE_JDE_VENDOR_ORIGIN_FORMAT",
        "JDE-V-{an8}",
        "Procore -> JDE vendors: how a Procore vendor's origin_id spells the JDE address number ({an8}); "
        "a bare number is read too; origin_code always holds the bare number",
        kind=Text(
            required=True,
            pattern=r"(?:(?!\{an8\}).)*\{an8\}(?:(?!\{an8\}).)*",
            says="the address number named once, as {an8} (e.g. JDE-V-{an8})",
        ),
    ),
    setting(
        "ML_PROCORE_JDE_VENDOR_COMPANY",
        "00001",
        "Procore -> JDE vendors: A/P company (F0401 KCOP) of a supplier added from Procore",
    ),
    setting(
        "ML_PROCORE_JDE_PROJECT_MAP",
        "mappings/sandbox/procore_jde_projects.csv",
        "Procore project -> JDE job business unit table (mappings/README.md)",
    ),
    setting(
        "ML_PROCORE_JDE_COST_CODE_MAP",
        "mappings/sandbox/procore_jde_cost_codes.csv",
        "Procore cost code -> JDE account (BU.OBJ.SUB; the BU is the cost center) table (mappings/README.md)",
    ),
)
