"""One approved Procurify bill -> the inputs of one JDE AP batch (voucher or journal), or why it cannot be
one. Pure: ``bills`` reads what it needs. Batch keys come from the bill UUID (``jde.uuid_batch_keys``), so a
rerun meets JDE's 59A4 and adopts; an account not set up yet holds the bill (``jde.missing_master``).
Field by field: docs/integrations/jde_procurify.md, "The flows" (bills).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from connector_assets.flows import amounts
from connector_assets.flows.core import Mapped, Rejected
from connector_assets.flows.documents import version_text
from connector_assets.flows.instance import Instance
from connector_assets.flows.lazy_model import lazy_model
from connector_assets.flows.mapping_tables import MappingTable
from connector_assets.jde import contracts
from connector_assets.jde.accounts import GlAccounts
from connector_assets.jde.batch_bodies import (
    SUBLEDGER_ADDRESS,
    LedgerLine,
    OrderReference,
    journal_batch_body,
    voucher_batch_body,
    voucher_fields,
)
from connector_assets.jde.missing_master import chart_account_missing
from connector_assets.jde.purchase_orders import parse_order_id
from connector_assets.jde.uuid_batch_keys import UuidBatchKeys, uuid_hex
from connector_assets.procurify import bill_fields
from connector_assets.procurify.bill_fields import (
    additional_costs,
    cost_label,
    describe,
    in_currency,
    priced_items,
)
from connector_resources.missing_records import MissingRecord
from connector_resources.refusals import Refusal, mapping_missing, master_missing, refused, source_invalid
from connector_resources.said import refusal_for, said

POSTINGS = ("voucher", "journal")
BATCH_PREFIX = "PFY"
BATCH_KEYS = UuidBatchKeys(BATCH_PREFIX, "bill")
batch_key = BATCH_KEYS.for_uuid  # (EDUS, bill uuid) -> EDUS / EDBT / EDTN, the same on every attempt
INVOICE_NUMBER_MAX, REMARK_MAX, EXPLANATION_MAX, LINES_MAX = 25, 30, 30, 999


def voucher_remark(bill: Mapping[str, object]) -> str:
    """The header remark (F0411Z1 RMK) of a bill's voucher: R04110ZA carries it into F0411, where the bill's
    payment finds the voucher once JDE purged the batch rows (``jde.payment_targets.VoucherPayments``)."""
    return f"Procurify bill {bill.get('id') or ''}".strip()[:REMARK_MAX]


FREIGHT_EXPLANATION = "Freight and additional costs"
NO_CURRENCY = "a bill with no currency"  # how a message names it (JDE takes the supplier's: 2 decimals)

# A Procurify account code -> (JDE account, problem): ``account_map.jde_account`` with the table and F0901;
# the problem as data where the caller knows its kind (``account_map.account_refusal``).
AccountOf = Callable[[str], tuple[str | None, str | Refusal | None]]


@dataclass(frozen=True)
class BillNames:
    """What an instance's bill refusals name: its AP account and freight account settings' variables and
    its account table."""

    ap_account: str
    freight_account: str
    accounts: str

    @classmethod
    def of(cls, it: Instance, table: MappingTable) -> "BillNames":
        return cls(it.variable("ap_account"), it.variable("bill_freight_account"), table.name)


@lazy_model
def BillPostingRecord() -> type:
    """A Procurify bill ML_CreateVoucherBatch (or ML_CreateJournalBatch) accepts, with the Procurify version
    it was mapped from. The supplier may be blank only while the record waits for the vendor's pair
    (``waits_for``); the currency may be blank (JDE then takes the supplier's)."""
    import pandas as pd
    import pandera.pandas as pa
    from pandera.typing import Series

    class BillPostingRecord(contracts.JdeVoucherRecord.model):
        supplier_number: Series[str] = pa.Field(str_matches=r"^(\d{1,8})?$")
        currency: Series[str] = pa.Field(str_matches=r"^([A-Z]{3})?$")
        posting: Series[str] = pa.Field(isin=list(POSTINGS))
        gl_date: Series[str] = pa.Field(str_matches=contracts.ISO_DAY)
        vendor_id: Series[str] = pa.Field(str_matches=r"^\d{1,20}$")
        waits_for: Series[str] = pa.Field(nullable=False)
        procurify_updated_at: Series[str] = pa.Field(str_matches=contracts.VERSION)
        jde_order: Series[str] = pa.Field(str_matches=r"^([^:\s]{1,5}:\d{1,8}:[^:\s]{1,2})?$")

        @pa.dataframe_check(error="a bill without its JDE supplier must be held for the vendor's pair")
        def supplier_unless_held(cls, frame: pd.DataFrame) -> Series[bool]:
            return (frame["supplier_number"] != "") | (frame["waits_for"] != "")

    return BillPostingRecord


@dataclass(frozen=True)
class BillInputs:
    """What the flow read for one bill before mapping it."""

    bill: Mapping[str, Any]  # the full bill (GET /api/v2/ap/bills/{uuid}/)
    an8: str | None  # the vendor's paired JDE supplier (vendor_pairs.paired_supplier), None when unpaired
    vendor_dependency: str  # what the bill is held on while the vendor has no JDE supplier
    updated_at: datetime  # the bill's last_modified_datetime, as staged
    posting: str  # voucher | journal
    batch_user: str  # EDUS (ML_JDE_PROCURIFY_BATCH_USER)
    names: BillNames  # what a refusal names
    tax_account: str | None = None  # ML_JDE_PROCURIFY_BILL_TAX_ACCOUNT; None: the largest item's account
    ap_account: str | None = None  # ML_JDE_PROCURIFY_AP_ACCOUNT (journal), already checked against F0901
    freight_account: str | None = None  # ML_JDE_PROCURIFY_BILL_FREIGHT_ACCOUNT; None: costs are refused
    # The JDE orders (``KCOO:DOCO:DCTO``) of the bill's Procurify POs the po_links flow linked, one per PO;
    # None per PO not linked to one (``po_links.jde_orders``). Empty: the bill names no PO.
    orders: tuple[str | None, ...] = ()


def bill_currency(bill: Mapping[str, object]) -> str:
    """The bill's currency code (``currency.name``), "" when Procurify gives none that is a code (JDE then
    takes the supplier's)."""
    currency = bill_fields.currency_code(bill)
    return (
        currency
        if len(currency) == 3 and currency.isascii() and currency.isalpha() and currency.isupper()
        else ""
    )


def order_reference(orders: tuple[str | None, ...]) -> OrderReference | None:
    """The JDE order the bill was raised against: the one JDE order every PO on the bill is linked to
    (``BillInputs.orders``); None when the bill names no PO, a PO of it came from no JDE order (or is not
    linked yet), or its POs came from several orders (a voucher names one order; naming one of several would
    send A/P to the wrong order for the rest)."""
    keys = set(orders)
    if len(keys) != 1 or None in keys:
        return None
    try:
        return OrderReference(*parse_order_id(str(keys.pop())))
    except ValueError:  # not a JDE order key
        return None


def bill_iso_day(value: object) -> str | None:
    """A bill's date (``bill_fields.bill_day``) as the ISO day the flow sends, None when it is no date."""
    day = bill_fields.bill_day(value)
    return day.isoformat() if day is not None else None


def distribution(
    bill: Mapping[str, object], account_of: AccountOf, problems: list[str], currency: str, table: str
) -> list[LedgerLine]:
    """One debit line per bill item on its JDE account, its amount in the bill's ``currency`` (problems
    appended, named by item: an amount finer than the currency has, ``1000.50`` JPY, is one; a code
    the account table ``table`` does not map)."""
    lines: list[LedgerLine] = []
    for position, item, where, amount in priced_items(bill, problems, currency or None):
        code = bill_fields.item_account_code(item)
        if code is None:
            text = (
                f"{where} has no account code in Procurify (neither the bill line nor its PO line carries "
                "one), so it has no JDE account: the account map cannot supply one; set the account on that "
                "line in Procurify, then replay"
            )
            problems.append(said(source_invalid(text, field="items.account_code")))
            continue
        account, problem = account_of(code)
        if problem or account is None:
            problems.append(said(_account_refusal(where, code, problem, table)))
            continue
        # F0911 EXA is one line of 30 characters of free text: the item's label, the rest dropped.
        lines.append(LedgerLine(account, amount, bill_fields.item_label(item, position, EXPLANATION_MAX)))
    return lines


def freight_lines(
    bill: Mapping[str, object], account: str | None, problems: list[str], currency: str, setting: str
) -> list[LedgerLine]:
    """One debit line per non-zero additional cost on the freight account (its F0901 check is the caller's,
    with the other lines); with no account set, one problem naming its ``setting`` and the costs' amount. A
    cost finer than the bill's ``currency`` has is a problem, named."""
    costs, unreadable = additional_costs(bill)
    problems.extend(unreadable)
    if not costs:
        return []
    if account is None:
        total = sum((amount for _position, _cost, amount in costs), Decimal(0))
        text = (
            f"its additional costs (freight) come to {_shown(total, currency)} and {setting} is "
            "not set, so they have no JDE account: set it to the JDE account (BU.OBJ.SUB) freight posts to, "
            "then replay"
        )
        problems.append(said(_setting(text, setting)))
        return []
    out: list[LedgerLine] = []
    for position, cost, amount in costs:
        if not amounts.fits(amount, currency or None):
            too_fine = amounts.CurrencyDecimalsError(amount, currency or NO_CURRENCY, field="costs.amount")
            problems.append(said(_worded(too_fine.refusal, f"additional cost {position}: {too_fine}")))
            continue
        text = cost_label(cost) or FREIGHT_EXPLANATION
        out.append(LedgerLine(account, amount, text[:EXPLANATION_MAX]))
    return out


def waiting_accounts(
    account_of: AccountOf, named: Callable[[str], str | None], gl: GlAccounts, label: str
) -> tuple[AccountOf, dict[str, MissingRecord]]:
    """``account_of`` that answers, for a code whose JDE account (``named``: the account it stands for
    before any F0901 check) is of JDE's chart but not set up yet for its unit, that account with no
    problem, and notes the hold on it (the dict, by account): the bill waits for it, it is not refused."""
    waits: dict[str, MissingRecord] = {}

    def of(code: str) -> tuple[str | None, str | None]:
        account, problem = account_of(code)
        candidate = named(code) if account is None and problem else None
        text = problem.sentence if isinstance(problem, Refusal) else str(problem)
        missing = chart_account_missing(gl, candidate, label, text) if candidate else None
        if missing is None:
            return account, problem
        waits.setdefault(missing.ident, missing)
        return missing.ident, None

    return of, waits


def map_bill(
    inputs: BillInputs,
    account_of: AccountOf,
    gl: GlAccounts,
    named: Callable[[str], str | None] | None = None,
) -> Mapped | Rejected:
    """One approved bill -> its voucher or journal batch, or why it cannot be one.
    ``named``: the JDE account a code stands for before any F0901 check; given, an item on an account of
    JDE's chart not set up yet holds the bill on it (``Rejected.held_on``) instead of refusing it."""
    bill = inputs.bill
    bill_uuid = str(bill.get("uuid") or "")
    label = describe(bill)
    problems: list[str] = []
    waits: dict[str, MissingRecord] = {}
    if named is not None:
        account_of, waits = waiting_accounts(account_of, named, gl, label)
    if inputs.posting not in POSTINGS:
        problems.append(
            said(_setting(f"the posting {inputs.posting!r} is neither voucher nor journal", "posting"))
        )
    digits = uuid_hex(bill_uuid)
    if digits is None:
        text = f"its UUID {bill_uuid!r} is not 32 hex digits, so it has no JDE batch key"
        problems.append(said(source_invalid(text, field="uuid", value=bill_uuid)))
    currency = bill_currency(bill)
    names = inputs.names
    lines = distribution(bill, account_of, problems, currency, names.accounts)
    tax = bill_fields.bill_tax(bill, problems)
    if tax and not amounts.fits(tax, currency or None):
        too_fine = amounts.CurrencyDecimalsError(tax, currency or NO_CURRENCY, field="tax_amount")
        problems.append(said(_worded(too_fine.refusal, f"the tax amount (tax_amount): {too_fine}")))
        tax = None
    if tax and lines:
        account = inputs.tax_account or max(lines, key=lambda line: abs(line.amount)).account
        lines.append(LedgerLine(account, tax, "Tax"))
    if lines:
        lines += freight_lines(bill, inputs.freight_account, problems, currency, names.freight_account)
    companies: set[str] = set()
    for line in lines:
        found = gl.lookup(line.account)
        if found is None and line.account in waits:  # not set up yet: the bill waits for it
            continue
        if found is None:  # a tax account not in F0901 (item accounts were checked by account_of)
            text = f"account {line.account} not found in F0901 ({line.explanation})"
            problems.append(said(master_missing(text, system="JDE", what="account", value=line.account)))
        else:
            companies.add(found.company)
    gross = sum((line.amount for line in lines), Decimal(0))
    total = bill_fields.bill_total(bill, problems)
    # The float total (quirk 7) is read to the bill currency's smallest unit: the yen, the cent, the fils.
    if (
        total is not None
        and lines
        and tax is not None
        and not problems
        and gross != in_currency(total, currency)
    ):
        extra = ", tax and additional costs" if bill.get("costs") else " and tax"
        text = (
            f"its items{extra} come to {_shown(gross, currency)} but Procurify's total with tax is "
            f"{_shown(in_currency(total, currency), currency)}; the difference has no account: enter the "
            "bill in JDE by hand and abandon this item, or correct it in Procurify and replay"
        )
        problems.append(said(refused(text, rule="items differ from the total")))
    invoice_number = bill_fields.invoice_number(
        bill,
        problems,
        limit=INVOICE_NUMBER_MAX,
        too_long=f"JDE's {INVOICE_NUMBER_MAX} (F0411 VINV); it is not cut short: enter the voucher in JDE by "
        "hand with the number the supplier will quote, then abandon this item",
    )
    invoice_date = bill_iso_day(bill.get("invoice_date"))
    if invoice_date is None:
        text = f"the invoice date {bill.get('invoice_date')!r} is not a date"
        problems.append(said(source_invalid(text, field="invoice_date", value=bill.get("invoice_date"))))
    gl_date = bill_iso_day(bill.get("gl_post_date")) or invoice_date
    vendor_id = bill_fields.bill_vendor_id(bill)
    if not vendor_id:
        problems.append(said(source_invalid("it names no vendor", field="vendor")))
    if inputs.posting == "journal":
        if inputs.ap_account is None:
            text = f"no AP liability account is set for journal postings ({names.ap_account})"
            problems.append(said(_setting(text, names.ap_account)))
        else:
            found = gl.lookup(inputs.ap_account)
            if found is not None:
                companies.add(found.company)
    if len(companies) > 1:
        listed = ", ".join(sorted(companies))
        text = f"its accounts belong to companies {listed}; one JDE document belongs to one company"
        problems.append(said(refused(text, rule="bill charges several companies")))
    if not lines and not problems:
        problems.append(said(refused("it has no items", rule="no items")))
    if lines and not problems and gross == 0:
        text = f"it comes to {_shown(gross, currency)}: nothing to post"
        problems.append(said(refused(text, rule="nothing to post")))
    if len(lines) + (inputs.posting == "journal") > LINES_MAX:
        text = f"it has {len(lines)} lines; a JDE document holds at most {LINES_MAX}"
        problems.append(said(refused(text, rule="too many lines")))
    if problems:  # a refusal names the accounts it waits for too: all of it is what a person fixes
        for account in waits:
            text = f"account {account} is not in JDE's account master (F0901) yet"
            problems.append(said(master_missing(text, system="JDE", what="account", value=account)))
        sentence = f"{label}: " + "; ".join(problems)
        return Rejected.of(bill_uuid, refusal_for(sentence, problems, rule="bill lines"))
    if waits:
        return Rejected.waiting(bill_uuid, next(iter(waits.values())))
    assert invoice_date is not None and gl_date is not None
    return _mapped(inputs, lines, gross, companies.pop(), invoice_number, (invoice_date, gl_date), vendor_id)


def _account_refusal(where: str, code: str, problem: str | Refusal | None, table: str) -> Refusal:
    """Why an item's account code has no JDE account, named by item: the account map's refusal as data
    (``account_map.account_refusal``), or a code no row of ``table`` maps."""
    if isinstance(problem, Refusal):
        return _worded(problem, f"{where}: {problem.sentence}")
    text = f"{where}: {problem or f'account code {code} has no JDE account'}"
    return mapping_missing(text, table=table, what="account code", value=code)


def _setting(sentence: str, setting: str) -> Refusal:
    """A setting of the flow that is missing or wrong: every bill meets it until it is fixed."""
    return Refusal("configuration", sentence, {"system": "JDE", "setting": setting})


def _worded(refusal: Refusal, sentence: str) -> Refusal:
    return Refusal(refusal.kind, sentence, refusal.params)


def _shown(value: Decimal, currency: str) -> str:
    """An amount in a message, with its currency (``1000 JPY``, ``175.30 GBP``; ``175.30`` with none); one
    finer than its currency allows as it is (never rounded in a message either)."""
    return f"{amounts.shown(value, currency or None)} {currency}".strip()


def _mapped(
    inputs: BillInputs,
    lines: list[LedgerLine],
    gross: Decimal,
    company: str,
    number: str,
    days: tuple[str, str],
    vendor_id: str,
) -> Mapped:
    """The batch of a bill ``map_bill`` found sound: ``number`` its invoice number, ``days`` its invoice and
    G/L dates."""
    (invoice_date, gl_date), invoice_number, bill = days, number, inputs.bill
    bill_uuid = str(bill["uuid"])
    key = batch_key(inputs.batch_user, bill_uuid)
    currency = bill_currency(bill)
    order = order_reference(inputs.orders) if inputs.posting == "voucher" else None
    waits_for = "" if inputs.an8 else inputs.vendor_dependency
    if inputs.posting == "voucher":
        body = voucher_batch_body(
            key,
            company=company,
            supplier=int(inputs.an8) if inputs.an8 else None,
            invoice_number=invoice_number,
            invoice_date=invoice_date,
            gl_date=gl_date,
            due_date=bill_iso_day(bill.get("due_date")),
            currency=currency,
            remark=voucher_remark(bill),
            gross=gross,
            distribution=lines,
            order=order,
        )
        count = len(lines)
    else:
        # The AP credit of the gross carries the supplier as subledger (type A) and the invoice number as
        # its explanation (at most 4 + 25 characters: never cut).
        subledger = str(int(inputs.an8)) if inputs.an8 else None
        credit = LedgerLine(inputs.ap_account, -gross, f"Inv {invoice_number}", subledger, SUBLEDGER_ADDRESS)
        body = journal_batch_body(
            key,
            company=company,
            gl_date=gl_date,
            explanation=f"Inv {invoice_number}",
            lines=[*lines, credit],
            currency=currency,
        )
        count = len(body["Lines"])
    return Mapped(
        source_key=bill_uuid,
        body=body,
        fields={
            **voucher_fields(
                key,
                invoice_number=invoice_number,
                supplier=inputs.an8 or "",
                company=company,
                gross=gross,
                invoice_date=invoice_date,
                currency=currency,
                lines=count,
            ),
            "posting": inputs.posting,
            "jde_order": f"{order.company}:{order.number}:{order.doc_type}" if order is not None else "",
            "gl_date": gl_date,
            "vendor_id": vendor_id,
            "waits_for": waits_for,
            "procurify_updated_at": version_text(inputs.updated_at),
        },
        natural_key={"Supplier": inputs.an8, "Invoice_Number": invoice_number, "target_id": key.target_id},
        depends_on=waits_for or None,
    )
