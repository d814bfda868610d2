"""JD Edwards <-> Procurify: its settings, typed, found by prefix (``settings.register_settings``)."""

from __future__ import annotations

from connector_resources.setting_kinds import EMAIL, Choice, Items, Number, Text
from connector_resources.settings import Setting, register_settings

SETTINGS: tuple[Setting, ...] = register_settings(
    "jde_procurify",
    # JD Edwards <-> Procurify (issue 14): Procurify has no webhooks, so every flow polls every 1 to 4 hours.
    Setting(
        "jde_procurify_suppliers_cron",
        "ML_JDE_PROCURIFY_SUPPLIERS_CRON",
        "0 */2 * * *",
        "JDE suppliers (F0401 + F0101) -> Procurify vendors",
    ),
    Setting(
        "jde_procurify_vendors_cron",
        "ML_JDE_PROCURIFY_VENDORS_CRON",
        "10 */2 * * *",
        "vendors created in Procurify -> JDE suppliers",
    ),
    Setting(
        "jde_procurify_account_codes_cron",
        "ML_JDE_PROCURIFY_ACCOUNT_CODES_CRON",
        "30 5 * * *",
        "JDE GL accounts (F0901, read once a day) -> Procurify account codes",
    ),
    Setting(
        "jde_procurify_purchase_orders_cron",
        "ML_JDE_PROCURIFY_PURCHASE_ORDERS_CRON",
        "20 */2 * * *",
        "approved JDE purchase orders (F4301 + F4311) -> Procurify requisitions",
    ),
    Setting(
        "jde_procurify_po_links_cron",
        "ML_JDE_PROCURIFY_PO_LINKS_CRON",
        "40 */2 * * *",
        "Procurify POs purchased from those requisitions -> linked, PO_Num = the JDE order number",
    ),
    Setting(
        "jde_procurify_bills_cron",
        "ML_JDE_PROCURIFY_BILLS_CRON",
        "15 * * * *",
        "approved Procurify bills -> JDE AP batches (F0411Z1/F0911Z1)",
    ),
    Setting(
        "jde_procurify_payments_cron",
        "ML_JDE_PROCURIFY_PAYMENTS_CRON",
        "45 * * * *",
        "Procurify payments -> JDE payments against the vouchers",
    ),
    Setting(
        "jde_procurify_paid_marks_cron",
        "ML_JDE_PROCURIFY_PAID_MARKS_CRON",
        "50 */4 * * *",
        "bills JDE paid -> marked paid in Procurify",
    ),
    Setting(
        "jde_procurify_reconcile_cron",
        "ML_JDE_PROCURIFY_RECONCILE_CRON",
        "0 6 * * *",
        "JDE <-> Procurify reconciliation (orders, bills per vendor and period, vendors, account codes)",
    ),
    Setting(
        "jde_procurify_account_map",
        "ML_JDE_PROCURIFY_ACCOUNT_MAP",
        "mappings/sandbox/jde_procurify_accounts.csv",
        "JDE account (BU.OBJ[.SUB]) <-> Procurify account code table (mappings/README.md)",
    ),
    Setting(
        "jde_procurify_account_scope",
        "ML_JDE_PROCURIFY_ACCOUNT_SCOPE",
        "6000-8999",
        "JDE -> Procurify: postable F0901 accounts given a Procurify account code of their own (code = "
        "BU.OBJ[.SUB]) besides the mapped ones: object ranges OBJ-OBJ or BU.OBJ-OBJ, comma-separated; "
        "none = only the account map. The default is the sandbox chart's expense range (refused unset on a "
        "real JDE or Procurify)",
    ),
    Setting(
        "jde_procurify_account_departments",
        "ML_JDE_PROCURIFY_ACCOUNT_DEPARTMENTS",
        "company",
        "JDE -> Procurify account codes: the departments a code is opened for (Procurify takes a line only "
        "on a code open for its department), through the department table: company (every unit of the "
        "account's company), unit (its own business unit) or none (a Procurify admin opens them)",
        kind=Choice(("company", "unit", "none")),
    ),
    Setting(
        "jde_procurify_department_map",
        "ML_JDE_PROCURIFY_DEPARTMENT_MAP",
        "mappings/sandbox/jde_procurify_departments.csv",
        "JDE business unit -> Procurify location and department table (mappings/README.md)",
    ),
    Setting(
        "jde_procurify_order_types",
        "ML_JDE_PROCURIFY_ORDER_TYPES",
        "OP",
        "JDE -> Procurify: order types (DCTO) sent as requisitions (comma-separated)",
        kind=Items(noun="JDE order types", case="upper", at_least=0),
    ),
    Setting(
        "jde_procurify_approved_status",
        "ML_JDE_PROCURIFY_APPROVED_STATUS",
        "220",
        "JDE -> Procurify: lowest F4311 last status (LTTR) of an approved order line; an order (header not "
        "on "
        "hold, F4301.HOLD blank) is sent once every line not cancelled has reached it (status codes are each "
        "customer's own order activity rules)",
        kind=Number(whole=True, minimum=0),
    ),
    Setting(
        "jde_procurify_closed_status",
        "ML_JDE_PROCURIFY_CLOSED_STATUS",
        "980",
        "JDE -> Procurify: F4311 status from which an order line is done: last status (LTTR) at or above it "
        "= cancelled, left off; next status (NXTR) at or above it = nothing left to buy (an order whose "
        "lines are all done is not sent as a new requisition)",
        kind=Number(whole=True, minimum=0),
    ),
    Setting(
        "jde_procurify_stock_account",
        "ML_JDE_PROCURIFY_STOCK_ACCOUNT",
        "{bu}.1410",
        "JDE -> Procurify: the JDE account a stock line (F4311 LNTY S: no account on the line, JDE takes it "
        "from the AAIs) is charged to in Procurify, {bu} = the line's branch/plant; its Procurify code comes "
        "from the account map; blank = stock lines are refused",
    ),
    Setting(
        "jde_procurify_description_check",
        "ML_JDE_PROCURIFY_DESCRIPTION_CHECK",
        "on",
        "JDE -> Procurify: on = the first requisition a run creates is read back, and if Procurify did not "
        "keep its description (the JDE order number, how an interrupted create is found again) the run "
        "stops creating and fails saying so; off = create without that check (only once you know this "
        "Procurify drops descriptions and accept that an interrupted create may leave a second requisition)",
        kind=Choice(("on", "off")),
    ),
    Setting(
        "jde_procurify_bill_posting",
        "ML_JDE_PROCURIFY_BILL_POSTING",
        "voucher",
        "Procurify -> JDE: how a bill posts: voucher (F0411Z1 + F0911Z1 batch) or journal (F0911Z1 batch)",
        kind=Choice(("voucher", "journal")),
    ),
    Setting(
        "jde_procurify_bill_statuses",
        "ML_JDE_PROCURIFY_BILL_STATUSES",
        "2,4,6,7,8",
        "Procurify -> JDE: bill statuses that count as approved (2 Approved and the payment states after it)",
        kind=Items(noun="Procurify bill status codes", allowed=("0", "1", "2", "3", "4", "5", "6", "7", "8")),
    ),
    Setting(
        "jde_procurify_ap_account",
        "ML_JDE_PROCURIFY_AP_ACCOUNT",
        "1.4110",
        "Procurify -> JDE bills posted as journals: the AP liability account (BU.OBJ.SUB) credited with the "
        "bill's total, the supplier as subledger (sandbox: accounts payable trade); must be set once "
        "ML_JDE_AIS_URL points at a real JDE",
    ),
    Setting(
        "jde_procurify_bill_tax_account",
        "ML_JDE_PROCURIFY_BILL_TAX_ACCOUNT",
        "",
        "Procurify -> JDE bills: JDE account (BU.OBJ.SUB) of a bill's tax line; blank = the account of the "
        "bill's largest item",
    ),
    Setting(
        "jde_procurify_bill_freight_account",
        "ML_JDE_PROCURIFY_BILL_FREIGHT_ACCOUNT",
        "",
        "Procurify -> JDE bills: JDE account (BU.OBJ.SUB) of a bill's freight / additional costs (one "
        "distribution line per cost); blank = a bill with additional costs is refused naming this setting",
    ),
    Setting(
        "jde_procurify_paid_statuses",
        "ML_JDE_PROCURIFY_PAID_STATUSES",
        "paid",
        "Procurify -> JDE: payment statuses recorded in JDE (comma-separated)",
        kind=Items(noun="Procurify payment statuses", case="lower"),
    ),
    Setting(
        "jde_procurify_payment_bank_account",
        "ML_JDE_PROCURIFY_PAYMENT_BANK_ACCOUNT",
        "1.1110",
        "Procurify -> JDE payments as journal entries (bill posting journal): the bank account (BU.OBJ.SUB) "
        "credited, ML_JDE_PROCURIFY_AP_ACCOUNT debited (sandbox: cash in bank); must be set once "
        "ML_JDE_AIS_URL points at a real JDE",
    ),
    Setting(
        "jde_procurify_batch_user",
        "ML_JDE_PROCURIFY_BATCH_USER",
        "MLPRCFY",
        "Procurify -> JDE: EDI user (EDUS) of the batches written, part of their duplicate key",
        kind=Text(required=True, longest=10, says="an EDI user of 1 to 10 characters"),
    ),
    Setting(
        "jde_procurify_vendor_company",
        "ML_JDE_PROCURIFY_VENDOR_COMPANY",
        "00001",
        "Procurify -> JDE vendors: A/P company (F0401 KCOP) of a supplier added from Procurify",
    ),
    Setting(
        "jde_procurify_vendor_page_size",
        "ML_JDE_PROCURIFY_VENDOR_PAGE_SIZE",
        "100",
        "Procurify -> JDE vendors: rows per page of the whole vendor read each poll (vendors have no "
        "modified-since filter); 100 is the largest page the reference suggests (its cap is unconfirmed)",
        kind=Number(whole=True, minimum=1, maximum=1000),
    ),
    Setting(
        "jde_procurify_vendor_first_id",
        "ML_JDE_PROCURIFY_VENDOR_FIRST_ID",
        "",
        "Procurify -> JDE vendors: only vendors with this Procurify id or a higher one get a JDE supplier "
        "(go-live: the next id, after the vendors both sides already hold carry the AN8 as external_id); "
        "blank = every vendor without an ERP key",
        kind=Text(pattern=r"\d+", says="a Procurify vendor id (a whole number), or blank"),
    ),
    Setting(
        "jde_procurify_vendor_fallback_email",
        "ML_JDE_PROCURIFY_VENDOR_FALLBACK_EMAIL",
        "",
        "JDE -> Procurify suppliers: e-mail address given to a new vendor whose supplier has none in F01151 "
        "(Procurify requires one); blank = such a supplier is refused until JDE has one",
        kind=EMAIL,
    ),
)
