"""JD Edwards <-> Procurify: its settings, typed, found by prefix (``settings.register_settings``)."""

from __future__ import annotations

from connector_assets.flows.integration_settings import SettingsOf
from connector_resources.setting_kinds import EMAIL, Choice, Items, Number, Text
from connector_resources.settings import Setting

setting = SettingsOf("jde_procurify")

SETTINGS: tuple[Setting, ...] = setting.register(
    # JD Edwards <-> Procurify (issue 14): Procurify has no webhooks, so every flow polls every 1 to 4 hours.
    setting("suppliers_cron", "0 */2 * * *", "JDE suppliers (F0401 + F0101) -> Procurify vendors"),
    setting("vendors_cron", "10 */2 * * *", "vendors created in Procurify -> JDE suppliers"),
    setting(
        "account_codes_cron",
        "30 5 * * *",
        "JDE GL accounts (F0901, read once a day) -> Procurify account codes",
    ),
    setting(
        "purchase_orders_cron",
        "20 */2 * * *",
        "approved JDE purchase orders (F4301 + F4311) -> Procurify requisitions",
    ),
    setting(
        "po_links_cron",
        "40 */2 * * *",
        "Procurify POs purchased from those requisitions -> linked, PO_Num = the JDE order number",
    ),
    setting("bills_cron", "15 * * * *", "approved Procurify bills -> JDE AP batches (F0411Z1/F0911Z1)"),
    setting("payments_cron", "45 * * * *", "Procurify payments -> JDE payments against the vouchers"),
    setting("paid_marks_cron", "50 */4 * * *", "bills JDE paid -> marked paid in Procurify"),
    setting(
        "reconcile_cron",
        "0 6 * * *",
        "JDE <-> Procurify reconciliation (orders, bills per vendor and period, vendors, account codes)",
    ),
    setting(
        "account_map",
        "mappings/sandbox/jde_procurify_accounts.csv",
        "JDE account (BU.OBJ[.SUB]) <-> Procurify account code table (mappings/README.md)",
    ),
    setting(
        "account_scope",
        "6000-8999",
        "JDE -> Procurify: postable F0901 accounts given a Procurify account code of their own (code = "
        "BU.OBJ[.SUB]) besides the mapped ones: object ranges OBJ-OBJ or BU.OBJ-OBJ, comma-separated; "
        "none = only the account map. The default is the sandbox chart's expense range (refused unset on a "
        "real JDE or Procurify)",
    ),
    setting(
        "account_departments",
        "company",
        "JDE -> Procurify account codes: the departments a code is opened for (Procurify takes a line only "
        "on a code open for its department), through the department table: company (every unit of the "
        "account's company), unit (its own business unit) or none (a Procurify admin opens them)",
        Choice(("company", "unit", "none")),
    ),
    setting(
        "department_map",
        "mappings/sandbox/jde_procurify_departments.csv",
        "JDE business unit -> Procurify location and department table (mappings/README.md)",
    ),
    setting(
        "order_types",
        "OP",
        "JDE -> Procurify: order types (DCTO) sent as requisitions (comma-separated)",
        Items(noun="JDE order types", case="upper", at_least=0),
    ),
    setting(
        "approved_status",
        "220",
        "JDE -> Procurify: lowest F4311 last status (LTTR) of an approved order line; an order (header not "
        "on "
        "hold, F4301.HOLD blank) is sent once every line not cancelled has reached it (status codes are each "
        "customer's own order activity rules)",
        Number(whole=True, minimum=0),
    ),
    setting(
        "closed_status",
        "980",
        "JDE -> Procurify: F4311 status from which an order line is done: last status (LTTR) at or above it "
        "= cancelled, left off; next status (NXTR) at or above it = nothing left to buy (an order whose "
        "lines are all done is not sent as a new requisition)",
        Number(whole=True, minimum=0),
    ),
    setting(
        "stock_account",
        "{bu}.1410",
        "JDE -> Procurify: the JDE account a stock line (F4311 LNTY S: no account on the line, JDE takes it "
        "from the AAIs) is charged to in Procurify, {bu} = the line's branch/plant; its Procurify code comes "
        "from the account map; blank = stock lines are refused",
    ),
    setting(
        "description_check",
        "on",
        "JDE -> Procurify: on = the first requisition a run creates is read back, and if Procurify did not "
        "keep its description (the JDE order number, how an interrupted create is found again) the run "
        "stops creating and fails saying so; off = create without that check (only once you know this "
        "Procurify drops descriptions and accept that an interrupted create may leave a second requisition)",
        Choice(("on", "off")),
    ),
    setting(
        "bill_posting",
        "voucher",
        "Procurify -> JDE: how a bill posts: voucher (F0411Z1 + F0911Z1 batch) or journal (F0911Z1 batch)",
        Choice(("voucher", "journal")),
    ),
    setting(
        "bill_statuses",
        "2,4,6,7,8",
        "Procurify -> JDE: bill statuses that count as approved (2 Approved and the payment states after it)",
        Items(noun="Procurify bill status codes", allowed=("0", "1", "2", "3", "4", "5", "6", "7", "8")),
    ),
    setting(
        "ap_account",
        "1.4110",
        "Procurify -> JDE bills posted as journals: the AP liability account (BU.OBJ.SUB) credited with the "
        "bill's total, the supplier as subledger (sandbox: accounts payable trade); must be set once "
        "ML_JDE_AIS_URL points at a real JDE",
    ),
    setting(
        "bill_tax_account",
        "",
        "Procurify -> JDE bills: JDE account (BU.OBJ.SUB) of a bill's tax line; blank = the account of the "
        "bill's largest item",
    ),
    setting(
        "bill_freight_account",
        "",
        "Procurify -> JDE bills: JDE account (BU.OBJ.SUB) of a bill's freight / additional costs (one "
        "distribution line per cost); blank = a bill with additional costs is refused naming this setting",
    ),
    setting(
        "paid_statuses",
        "paid",
        "Procurify -> JDE: payment statuses recorded in JDE (comma-separated)",
        Items(noun="Procurify payment statuses", case="lower"),
    ),
    setting(
        "payment_bank_account",
        "1.1110",
        "Procurify -> JDE payments as journal entries (bill posting journal): the bank account (BU.OBJ.SUB) "
        "credited, ML_JDE_PROCURIFY_AP_ACCOUNT debited (sandbox: cash in bank); must be set once "
        "ML_JDE_AIS_URL points at a real JDE",
    ),
    setting(
        "batch_user",
        "MLPRCFY",
        "Procurify -> JDE: EDI user (EDUS) of the batches written, part of their duplicate key",
        Text(required=True, longest=10, says="an EDI user of 1 to 10 characters"),
    ),
    setting(
        "vendor_company",
        "00001",
        "Procurify -> JDE vendors: A/P company (F0401 KCOP) of a supplier added from Procurify",
    ),
    setting(
        "vendor_page_size",
        "100",
        "Procurify -> JDE vendors: rows per page of the whole vendor read each poll (vendors have no "
        "modified-since filter); 100 is the largest page the reference suggests (its cap is unconfirmed)",
        Number(whole=True, minimum=1, maximum=1000),
    ),
    setting(
        "vendor_first_id",
        "",
        "Procurify -> JDE vendors: only vendors with this Procurify id or a higher one get a JDE supplier "
        "(go-live: the next id, after the vendors both sides already hold carry the AN8 as external_id); "
        "blank = every vendor without an ERP key",
        Text(pattern=r"\d+", says="a Procurify vendor id (a whole number), or blank"),
    ),
    setting(
        "vendor_fallback_email",
        "",
        "JDE -> Procurify suppliers: e-mail address given to a new vendor whose supplier has none in F01151 "
        "(Procurify requires one); blank = such a supplier is refused until JDE has one",
        EMAIL,
    ),
)
