"""JD Edwards <-> BILL: its settings, typed, found by prefix (``settings.register_settings``), each
declared by its name under the integration's prefix (``flows.integration_settings.SettingsOf``)."""

from __future__ import annotations

from connector_assets.flows.integration_settings import SettingsOf
from connector_resources.setting_kinds import Choice, Items, Number, Text
from connector_resources.settings import Setting

setting = SettingsOf("jde_bill")

SETTINGS: tuple[Setting, ...] = setting.register(
    setting("vendors_cron", "5 * * * *", "JDE suppliers -> BILL vendors"),
    setting("bills_cron", "20 * * * *", "JDE approved purchase orders and vouchers -> BILL bills"),
    setting(
        "po_approved_status",
        "220",
        "JDE -> BILL bills: lowest F4311 last status (LTTR) of an approved order line; an order becomes a "
        "bill once every open line has reached it (status codes are each customer's own)",
        kind=Number(whole=True, minimum=0),
    ),
    setting(
        "po_closed_status",
        "980",
        "JDE -> BILL bills: F4311 last status (LTTR) from which an order line is closed or cancelled and "
        "left off the bill",
        kind=Number(whole=True, minimum=0),
    ),
    setting(
        "voucher_pay_statuses",
        "A",
        "JDE -> BILL bills: F0411 pay statuses (PST, comma-separated) of vouchers sent as bills; A = "
        "approved for payment (a paid or held voucher is not offered to BILL to pay)",
        kind=Items(noun="JDE pay statuses", case="upper", at_least=0),
    ),
    setting(
        "default_net_days",
        "30",
        "JDE -> BILL bills: days from the order date to the due date of an order with no payment terms "
        "(F4301 PTC and F0401 TRAP blank)",
        kind=Number(whole=True, minimum=0),
    ),
    setting(
        "vendor_default_country",
        "",
        "JDE -> BILL vendors: ISO-2 country for F0116 addresses whose country (CTR) is blank, e.g. US where "
        "JDE leaves domestic addresses without one; blank: such a supplier is refused into the retry queue",
        kind=Text(pattern="[A-Za-z]{2}", says="a two-letter ISO code, e.g. US"),
    ),
    setting(
        "payments_cron",
        "10-59/15 * * * *",
        "BILL payments -> JDE (polling fallback for BILL's webhooks: the flow reads its own day of BILL "
        "payments)",
    ),
    setting(
        "reconcile_cron",
        "50 * * * *",
        "JDE <-> BILL reconciliation of today's vendors, bills (JDE days) and payments (UTC days), after "
        "the flows' ticks; yesterday once after midnight",
    ),
    setting(
        "paid_statuses",
        "CLEARED",
        "comma-separated BILL payment statuses (singleStatus) that post to JDE: money reached the vendor",
        kind=Items(noun="BILL payment statuses", case="upper"),
    ),
    setting(
        "payment_posting",
        "voucher_else_journal",
        "how a BILL payment posts to JDE: voucher_else_journal (ML_RecordPayment on the bill's voucher, a "
        "journal entry when it has none), voucher (wait for a voucher) or journal (always a journal entry)",
        kind=Choice(("voucher_else_journal", "voucher", "journal")),
    ),
    setting(
        "payment_debit_account",
        "1.4310",
        "JDE account (BU.OBJ.SUB) a BILL payment without voucher debits (sandbox: received not vouchered); "
        "must be set once ML_JDE_AIS_URL points at a real JDE",
    ),
    setting(
        "payment_credit_account",
        "1.1110",
        "JDE account (BU.OBJ.SUB) a BILL payment without voucher credits (sandbox: cash in bank); must be "
        "set once ML_JDE_AIS_URL points at a real JDE",
    ),
    setting(
        "account_map",
        "mappings/sandbox/jde_bill_accounts.csv",
        "JDE account -> BILL chart-of-accounts id table (mappings/README.md)",
    ),
    setting(
        "department_map",
        "mappings/sandbox/jde_bill_departments.csv",
        "JDE business unit -> BILL department id table (mappings/README.md)",
    ),
    setting(
        "payment_terms_map",
        "mappings/sandbox/jde_bill_payment_terms.csv",
        "JDE payment terms (F4301 PTC / F0401 TRAP) -> net days table (mappings/README.md)",
    ),
)
