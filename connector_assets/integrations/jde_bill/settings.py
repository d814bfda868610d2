"""JD Edwards <-> BILL: its settings, typed, found by prefix (``settings.register_settings``), each
declared by its variable (``flows.integration_settings``)."""

from __future__ import annotations

from connector_assets.flows.integration_settings import setting
from connector_resources.setting_kinds import Choice, Items, Number, Text
from connector_resources.settings import Setting, register_settings

SETTINGS: tuple[Setting, ...] = register_settings(
    "jde_bill",
    setting("ML_JDE_BILL_VENDORS_CRON", "5 * * * *", "JDE suppliers -> BILL vendors"),
    setting(
        "ML_JDE_BILL_BILLS_CRON", "20 * * * *", "JDE approved purchase orders and vouchers -> BILL bills"
    ),
    setting(
        "ML_JDE_BILL_PO_APPROVED_STATUS",
        "220",
        "JDE -> BILL bills: lowest F4311 last status (LTTR) of an approved order line; an order becomes a "
        "bill once every open line has reached it (status codes are each customer's own)",
        kind=Number(whole=True, minimum=0),
    ),
    setting(
        "ML_JDE_BILL_PO_CLOSED_STATUS",
        "980",
        "JDE -> BILL bills: F4311 last status (LTTR) from which an order line is closed or cancelled and "
        "left off the bill",
        kind=Number(whole=True, minimum=0),
    ),
    setting(
        "ML_JDE_BILL_VOUCHER_PAY_STATUSES",
        "A",
        "JDE -> BILL bills: F0411 pay statuses (PST, comma-separated) of vouchers sent as bills; A = "
        "approved for payment (a paid or held voucher is not offered to BILL to pay)",
        kind=Items(noun="JDE pay statuses", case="upper", at_least=0),
    ),
    setting(
        "ML_JDE_BILL_DEFAULT_NET_DAYS",
        "30",
        "JDE -> BILL bills: days from the order date to the due date of an order with no payment terms "
        "(F4301 PTC and F0401 TRAP blank)",
        kind=Number(whole=True, minimum=0),
    ),
    setting(
        "ML_JDE_BILL_VENDOR_DEFAULT_COUNTRY",
        "",
        "JDE -> BILL vendors: ISO-2 country for F0116 addresses whose country (CTR) is blank, e.g. US where "
        "JDE leaves domestic addresses without one; blank: such a supplier is refused into the retry queue",
        kind=Text(pattern="[A-Za-z]{2}", says="a two-letter ISO code, e.g. US"),
    ),
    setting(
        "ML_JDE_BILL_PAYMENTS_CRON",
        "10-59/15 * * * *",
        "BILL payments -> JDE (polling fallback for BILL's webhooks: the flow reads its own day of BILL "
        "payments)",
    ),
    setting(
        "ML_JDE_BILL_RECONCILE_CRON",
        "50 * * * *",
        "JDE <-> BILL reconciliation of today's vendors, bills (JDE days) and payments (UTC days), after "
        "the flows' ticks; yesterday once after midnight",
    ),
    setting(
        "ML_JDE_BILL_PAID_STATUSES",
        "CLEARED",
        "comma-separated BILL payment statuses (singleStatus) that post to JDE: money reached the vendor",
        kind=Items(noun="BILL payment statuses", case="upper"),
    ),
    setting(
        "ML_JDE_BILL_PAYMENT_POSTING",
        "voucher_else_journal",
        "how a BILL payment posts to JDE: voucher_else_journal (ML_RecordPayment on the bill's voucher, a "
        "journal entry when it has none), voucher (wait for a voucher) or journal (always a journal entry)",
        kind=Choice(("voucher_else_journal", "voucher", "journal")),
    ),
    setting(
        "ML_JDE_BILL_PAYMENT_DEBIT_ACCOUNT",
        "1.4310",
        "JDE account (BU.OBJ.SUB) a BILL payment without voucher debits (sandbox: received not vouchered); "
        "must be set once ML_JDE_AIS_URL points at a real JDE",
    ),
    setting(
        "ML_JDE_BILL_PAYMENT_CREDIT_ACCOUNT",
        "1.1110",
        "JDE account (BU.OBJ.SUB) a BILL payment without voucher credits (sandbox: cash in bank); must be "
        "set once ML_JDE_AIS_URL points at a real JDE",
    ),
    setting(
        "ML_JDE_BILL_ACCOUNT_MAP",
        "mappings/sandbox/jde_bill_accounts.csv",
        "JDE account -> BILL chart-of-accounts id table (mappings/README.md)",
    ),
    setting(
        "ML_JDE_BILL_DEPARTMENT_MAP",
        "mappings/sandbox/jde_bill_departments.csv",
        "JDE business unit -> BILL department id table (mappings/README.md)",
    ),
    setting(
        "ML_JDE_BILL_PAYMENT_TERMS_MAP",
        "mappings/sandbox/jde_bill_payment_terms.csv",
        "JDE payment terms (F4301 PTC / F0401 TRAP) -> net days table (mappings/README.md)",
    ),
)
