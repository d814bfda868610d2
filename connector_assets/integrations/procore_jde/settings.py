"""Procore -> JD Edwards: its settings, typed, found by prefix (``settings.register_settings``), each
declared by its name under the integration's prefix (``flows.integration_settings.SettingsOf``)."""

from __future__ import annotations

from connector_assets.flows.integration_settings import SettingsOf
from connector_resources.setting_kinds import Items, OnOff, Text
from connector_resources.settings import Setting

setting = SettingsOf("procore_jde")

SETTINGS: tuple[Setting, ...] = setting.register(
    # Procore -> JD Edwards (issue 13): daily at 02:00 (project workflows close their day), one cron per flow.
    setting(
        "vendors_cron",
        "0 2 * * *",
        "Procore vendors -> JDE suppliers (address book + supplier master)",
    ),
    setting(
        "suppliers_cron",
        "5 2 * * *",
        "JDE supplier changes (address, contact) -> the linked Procore vendors",
    ),
    setting(
        "purchase_orders_cron",
        "10 2 * * *",
        "Procore commitments of approved requisitions -> JDE purchase orders",
    ),
    setting(
        "vouchers_cron",
        "20 2 * * *",
        "approved Procore requisitions -> JDE batch vouchers (F0411Z1/F0911Z1)",
    ),
    setting(
        "change_orders_cron",
        "30 2 * * *",
        "approved Procore commitment change orders -> JDE purchase order updates",
    ),
    setting(
        "reconcile_cron",
        "0 4 * * *",
        "Procore -> JDE reconciliation (requisitions vs vouchers and PO lines, commitments, vendors)",
    ),
    setting(
        "approved_statuses",
        "approved,approved_as_noted",
        "Procore -> JDE: requisition (subcontractor invoice) statuses that count as approved "
        "(comma-separated)",
        kind=Items(noun="statuses", case="lower", at_least=0),
    ),
    setting(
        "change_order_statuses",
        "approved",
        "Procore -> JDE: commitment change order statuses that update the JDE purchase order "
        "(comma-separated; Procore's vocabulary is unconfirmed)",
        kind=Items(noun="statuses", case="lower", at_least=0),
    ),
    setting(
        "vouchers",
        "on",
        "Procore -> JDE: an approved requisition also becomes an AP batch voucher against its purchase "
        "order (on / off)",
        kind=OnOff(),
    ),
    setting(
        "po_order_type",
        "OP",
        "Procore -> JDE: JDE order type (DCTO) of a Procore purchase order contract",
    ),
    setting(
        "wo_order_type",
        "OS",
        "Procore -> JDE: JDE order type (DCTO) of a Procore work order contract (subcontract)",
    ),
    setting(
        "vendor_origin_format",
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
        "vendor_company",
        "00001",
        "Procore -> JDE vendors: A/P company (F0401 KCOP) of a supplier added from Procore",
    ),
    setting(
        "project_map",
        "mappings/sandbox/procore_jde_projects.csv",
        "Procore project -> JDE job business unit table (mappings/README.md)",
    ),
    setting(
        "cost_code_map",
        "mappings/sandbox/procore_jde_cost_codes.csv",
        "Procore cost code -> JDE account (BU.OBJ.SUB; the BU is the cost center) table (mappings/README.md)",
    ),
)
