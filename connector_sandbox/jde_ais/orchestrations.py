"""The orchestrations ml-connector calls, simulated against the E1 tables.

Each handler validates everything before it writes and writes inside one transaction, so a business
error leaves no row behind. Batch rows are keyed by EDUS + EDBT + EDTN + EDLN: a repeated key is
refused (59A4) and the table's primary key guarantees a second row can never appear. Responses follow
the reference (section 2.6): the designer's outputs plus ``jde__*`` elements on success, the nested
``message`` error body with ``jde__status: "ERROR"`` on failure. Money written (vouchers, journal
entries, payments) passes the fiscal date edits first (``periods.gl_date_edit``): an error refuses the
call like any form error, a warning is answered beside the outputs in ``Errors/Warnings``.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from .contracts import Contract, ErrorSpec, InputError, validate_inputs
from .currency import RATE_DECIMALS, company_currency, convert, from_stored, text, to_stored
from .dates import DatePattern, to_hhmmss, to_julian
from .denomination import Denomination, MoneyRefused, denominate
from .errors import timestamp
from .factory import COMPANY_BY_CODE, Account, compress, right_justify
from .periods import RESOLUTION, GlDateMessage, gl_date_edit
from .settings import PeriodSettings
from .store import Store
from .supplier_details import DetailError, check_detail_inputs, write_supplier_details
from .vocabulary import PAYMENT_TERMS


class BusinessError(Exception):
    """A rule the orchestration enforces; ``code`` is an entry of the contract's error catalog, unless the
    error is JDE's own (a fiscal date edit) and brings its ``spec``."""

    def __init__(self, code: str, detail: str, spec: ErrorSpec | None = None) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
        self.spec = spec


def _form_message(message: GlDateMessage) -> ErrorSpec:
    """A fiscal date edit's message as a form error or warning: its text is the whole cause."""
    kind = "Error" if message.error else "Warning"
    return ErrorSpec(message.code, f"{kind}: {message.mnemonic} {message.title}", message.text, RESOLUTION)


@dataclass(frozen=True)
class Call:
    """Who calls, and when: every row written is stamped with this user and moment."""

    store: Store
    username: str
    workstation: str
    now: dt.datetime
    # The code each catalog error is answered with where this JDE numbered its error items its own way
    # (``FaultSettings.error_codes``: ``{"59AB": "4014"}``); titles and texts stay the catalog's.
    error_codes: Mapping[str, str] = field(default_factory=dict)
    periods: PeriodSettings = field(default_factory=PeriodSettings)
    # Warnings the call drew (fiscal date edits PBCO allowed, PACO, WACO), answered beside its outputs.
    warnings: list[dict[str, Any]] = field(default_factory=list)

    def check_gl_date(self, company: str, day: dt.date, system: Literal["gl", "ap"], field: str) -> None:
        """The fiscal date edit on a G/L date: an error refuses the call, a warning is kept for the answer."""
        message = gl_date_edit(self.store.conn, self.periods, company, day, system, field)
        if message is None:
            return
        spec = _form_message(message)
        if message.error:
            raise BusinessError(spec.code, "", spec)
        self.warnings.append(
            {"CODE": spec.code, "TITLE": spec.title, "ERRORCONTROL": field, **_description(spec.cause, spec)}
        )

    @property
    def today(self) -> dt.date:
        return self.now.date()

    def audit(self, program: str, time_alias: str = "UPMT") -> dict[str, Any]:
        return {
            "USER": self.username[:10],
            "PID": program,
            "JOBN": self.workstation[:10],
            "UPMJ": to_julian(self.today),
            time_alias: to_hhmmss(self.now),
        }


def _scaled(amount: Decimal, decimals: int) -> int:
    return int(amount.scaleb(decimals))


def _money(cents: int) -> str:
    return f"{Decimal(cents).scaleb(-2):.2f}"


def _require(value: Any, label: str, why: str = "is required") -> Any:
    if value is None:
        raise BusinessError("59A0", f"Input '{label}' {why}")
    return value


def _supplier(conn: sqlite3.Connection, an8: int, label: str) -> dict[str, Any]:
    row = conn.execute(
        'SELECT s."AN8", s."MCUP", s."CRRP", s."TRAP", s."KCOP", b."ALPH" FROM "F0401" s '
        'JOIN "F0101" b ON b."AN8" = s."AN8" WHERE s."AN8" = ?',
        (an8,),
    ).fetchone()
    if row is None:
        raise BusinessError("59A1", f"Supplier {an8} ({label}) is not in the Supplier Master F0401")
    return dict(zip(("AN8", "MCUP", "CRRP", "TRAP", "KCOP", "ALPH"), row, strict=True))


def _require_business_unit(conn: sqlite3.Connection, business_unit: str, label: str) -> str:
    # Business units are known through their accounts; the sandbox has no F0006 of its own.
    if conn.execute(
        'SELECT 1 FROM "F0901" WHERE "MCU" = ? LIMIT 1', (right_justify(business_unit),)
    ).fetchone():
        return business_unit.strip()
    raise BusinessError("0052", f"Business unit {business_unit.strip()!r} ({label}) does not exist")


def _account(conn: sqlite3.Connection, text: str, label: str) -> Account:
    """A postable account from its ``BU.OBJ.SUB`` form (account mode 2)."""
    parts = text.strip().split(".")
    if len(parts) not in (2, 3) or not all(part.strip() for part in parts[:2]):
        raise BusinessError("59A2", f"Account {text!r} ({label}) is not in BU.OBJ.SUB form")
    business_unit, obj, sub = (
        parts[0].strip(),
        parts[1].strip(),
        (parts[2].strip() if len(parts) == 3 else ""),
    )
    row = conn.execute(
        'SELECT "AID", "CO", "PEC" FROM "F0901" WHERE "MCU" = ? AND "OBJ" = ? AND "SUB" = ?',
        (right_justify(business_unit), obj, sub),
    ).fetchone()
    if row is None:
        raise BusinessError("59A2", f"Account {text!r} ({label}) is not in the Account Master F0901")
    if row[2] != "":
        raise BusinessError(
            "59A3", f"Account {text!r} ({label}) has posting edit code {row[2]!r} and cannot be posted to"
        )
    return Account(row[0], row[1], business_unit, obj, sub)


def _unique_lines(rows: list[dict[str, Any]], grid: str, field: str = "EDI_Line_Number") -> None:
    seen: set[int] = set()
    for index, row in enumerate(rows):
        if row[field] in seen:
            raise BusinessError("59A4", f"{grid}[{index}].{field} {row[field]} appears twice in this request")
        seen.add(row[field])


def _refuse_existing_keys(
    conn: sqlite3.Connection, table: str, edi: dict[str, str], lines: list[int]
) -> None:
    placeholders = ", ".join("?" for _ in lines)
    found = conn.execute(
        f'SELECT "EDLN" FROM "{table}" WHERE "EDUS" = ? AND "EDBT" = ? AND "EDTN" = ? '
        f'AND "EDLN" IN ({placeholders})',
        (edi["EDUS"], edi["EDBT"], edi["EDTN"], *lines),
    ).fetchall()
    if found:
        taken = sorted(row[0] for row in found)
        raise BusinessError(
            "59A4",
            f"{table} already holds EDUS {edi['EDUS']!r}, EDBT {edi['EDBT']!r}, EDTN {edi['EDTN']!r}, "
            f"EDLN {taken}",
        )


def _insert_batch(store: Store, conn: sqlite3.Connection, table: str, rows: list[dict[str, Any]]) -> None:
    try:
        store.insert(table, rows, connection=conn)
    except sqlite3.IntegrityError as exc:  # the primary key is the last line of defence
        raise BusinessError("59A4", f"{table}: duplicate EDUS/EDBT/EDTN/EDLN ({exc})") from exc


def _write_batch(call: Call, edi: dict[str, str], tables: dict[str, list[dict[str, Any]]]) -> None:
    """The batch's rows of each table, in one transaction: every line key checked before any row goes in."""
    with call.store.transaction() as conn:
        for table, rows in tables.items():
            _refuse_existing_keys(conn, table, edi, [row["EDLN"] for row in rows])
        for table, rows in tables.items():
            _insert_batch(call.store, conn, table, rows)


def _edi_key(inputs: dict[str, Any]) -> dict[str, str]:
    """EDUS + EDBT + EDTN: the batch transaction a request writes (each of its rows adds its EDLN)."""
    return {
        "EDUS": inputs["EDI_User_ID"],
        "EDBT": inputs["EDI_Batch_Number"],
        "EDTN": inputs["EDI_Transaction_Number"],
    }


def _echo(edi: dict[str, str]) -> dict[str, str]:
    """The batch key as the contracts' outputs echo it (``EDI_User_ID`` ...), not by its column aliases."""
    return {
        "EDI_User_ID": edi["EDUS"],
        "EDI_Batch_Number": edi["EDBT"],
        "EDI_Transaction_Number": edi["EDTN"],
    }


def _unprocessed(call: Call, edi: dict[str, str], transaction_type: str) -> dict[str, Any]:
    """What every row of a new batch transaction starts with: its key, an add (EDTC A) of
    ``transaction_type`` (V voucher, J journal entry) received today, not processed yet (EDSP 0)."""
    return {**edi, "EDSP": "0", "EDTC": "A", "EDTR": transaction_type, "EDDT": to_julian(call.today)}


def _period(gl_date: dt.date) -> dict[str, int]:
    return {"FY": gl_date.year % 100, "CTRY": gl_date.year // 100, "PN": gl_date.month}


def _denomination(
    call: Call, document: str, company: str, currency: str, label: str, inputs: dict
) -> Denomination:
    try:
        return denominate(
            call.store.conn,
            document,
            company,
            currency,
            label,
            inputs["Currency_Mode"],
            inputs["Exchange_Rate"],
        )
    except MoneyRefused as refused:
        raise BusinessError(refused.code, refused.detail) from None


def _amounts(denomination: Denomination, rows: list[dict[str, Any]], grid: str, field: str) -> list[Decimal]:
    """Each grid row's amount in the document's currency: ``Currency_Amount`` when foreign, else ``field``."""
    try:
        return [denomination.amount(row, f"{grid}[{index}].", field) for index, row in enumerate(rows)]
    except MoneyRefused as refused:
        raise BusinessError(refused.code, refused.detail) from None


def _rate(call: Call, denomination: Denomination, gl_date: dt.date) -> Decimal:
    try:
        return denomination.rate(call.store.conn, gl_date)
    except MoneyRefused as refused:
        raise BusinessError(refused.code, refused.detail) from None


def _money_columns(
    denomination: Denomination, amount: Decimal, *, domestic: str, foreign: str
) -> dict[str, int]:
    """Where an amount is written: the domestic column (2 decimals) for a domestic document, the currency
    amount (its currency's decimals) for a foreign one, the other left blank for the processor."""
    if denomination.foreign:
        return {domestic: 0, foreign: to_stored(amount, denomination.decimals)}
    return {domestic: _scaled(amount, 2), foreign: 0}


def _currency_columns(denomination: Denomination, rate: Decimal | None) -> dict[str, Any]:
    """CRRM / CRCD / CRR of every row a document writes: a batch's rate as stated (blank: F0015 at
    processing), the rate a payment's F0413 and F0414 rows were paid at."""
    return {
        "CRRM": "F" if denomination.foreign else "D",
        "CRCD": denomination.currency,
        "CRR": to_stored(rate, RATE_DECIMALS) if rate is not None else 0,
    }


def _distribution_line(
    call: Call,
    control: dict[str, Any],
    money: Denomination,
    line: dict[str, Any],
    account: Account,
    amount: Decimal,
    gl_date: dt.date,
    position: int,
) -> dict[str, Any]:
    """What every F0911Z1 line posting ``amount`` to ``account`` carries, of a voucher or a journal entry:
    the batch's control columns, G/L date and period, line number (10, 20, ...), the account, the
    actual-amounts ledger AA, the document's currency and the amount where ``money`` puts it."""
    return {
        **control,
        "EDLN": line["EDI_Line_Number"],
        "DGJ": to_julian(gl_date),
        "JELN": position * 10,
        **account.ledger_columns(),
        "LT": "AA",
        **_period(gl_date),
        **_currency_columns(money, money.stated_rate),
        **_money_columns(money, amount, domestic="AA", foreign="ACR"),
        "TORG": call.username[:10],
        **call.audit("EP0911Z1"),
    }


def create_voucher_batch(call: Call, inputs: dict[str, Any]) -> dict[str, Any]:
    """F0411Z1 pay items + F0911Z1 distribution for one voucher (EDSP 0, awaiting R04110ZA).

    A domestic voucher (Currency_Mode D) writes ``AG`` / ``AAP`` / ``AA``; a foreign one (F) writes its
    amounts in its own currency in ``ACR`` / ``FAP`` and the lines' ``ACR``, the domestic columns blank for
    R04110ZA to compute from the rate (reference: multi-currency batch vouchers)."""
    conn = call.store.conn
    supplier = _supplier(conn, inputs["Supplier"], "Supplier")
    pay_items, distribution = inputs["Pay_Items"], inputs["Distribution"]
    _unique_lines(pay_items, "Pay_Items")
    _unique_lines(distribution, "Distribution")
    units = [
        _require_business_unit(
            conn, item["Business_Unit"] or supplier["MCUP"], f"Pay_Items[{index}].Business_Unit"
        )
        for index, item in enumerate(pay_items)
    ]
    accounts = [
        _account(conn, line["Account"], f"Distribution[{i}].Account") for i, line in enumerate(distribution)
    ]
    company = inputs["Company"]
    currency = inputs["Currency_Code"] or supplier["CRRP"]
    label = (
        "Input 'Currency_Code'"
        if inputs["Currency_Code"]
        else f"Input 'Currency_Code' (blank: supplier {supplier['AN8']}'s A/P currency)"
    )
    money = _denomination(call, "voucher", company, currency, label, inputs)
    gross_amounts = _amounts(money, pay_items, "Pay_Items", "Gross_Amount")
    line_amounts = _amounts(money, distribution, "Distribution", "Amount")
    gross = sum(gross_amounts, Decimal(0))
    distributed = sum(line_amounts, Decimal(0))
    if gross != distributed:
        places = money.decimals if money.foreign else 2
        raise BusinessError(
            "59A5",
            f"Distribution totals {text(distributed, places)} but the pay items gross {text(gross, places)} "
            f"{money.currency}",
        )
    order_company = inputs["Order_Company"] or company
    if inputs["Order_Number"] is not None:
        order = conn.execute(
            'SELECT 1 FROM "F4301" WHERE "KCOO" = ? AND "DOCO" = ? AND "DCTO" = ?',
            (order_company, inputs["Order_Number"], inputs["Order_Type"]),
        ).fetchone()
        if order is None:
            raise BusinessError(
                "59A6",
                f"Order {order_company} {inputs['Order_Number']} {inputs['Order_Type']} does not exist",
            )
    invoice_date, gl_date = inputs["Invoice_Date"], inputs["GL_Date"]
    call.check_gl_date(company, gl_date, "ap", "GL_Date")
    if money.foreign:
        _rate(call, money, gl_date)  # refused now (59AD) rather than left for R04110ZA to reject
    due = inputs["Due_Date"] or invoice_date + dt.timedelta(days=PAYMENT_TERMS.get(supplier["TRAP"], 30))
    edi = _edi_key(inputs)
    control = _unprocessed(call, edi, "V")
    has_order = inputs["Order_Number"] is not None
    currency_columns = _currency_columns(money, money.stated_rate)
    voucher_rows = []
    for position, (item, unit, amount) in enumerate(
        zip(pay_items, units, gross_amounts, strict=True), start=1
    ):
        gross_columns = _money_columns(money, amount, domestic="AG", foreign="ACR")
        voucher_rows.append(
            {
                **control,
                "EDLN": item["EDI_Line_Number"],
                "KCO": company,
                "DCT": "PV",
                "SFX": f"{position:03d}",
                "AN8": supplier["AN8"],
                "PYE": supplier["AN8"],
                "DIVJ": to_julian(invoice_date),
                "DSVJ": to_julian(invoice_date),
                "DDJ": to_julian(due),
                "DGJ": to_julian(gl_date),
                **_period(gl_date),
                "CO": company,
                "ICUT": "V",
                "PST": inputs["Pay_Status"],
                **gross_columns,
                "AAP": gross_columns["AG"],
                "FAP": gross_columns["ACR"],
                **currency_columns,
                "MCU": right_justify(unit),
                "PTC": supplier["TRAP"],
                "VINV": inputs["Invoice_Number"],
                "PKCO": order_company if has_order else "",
                "PO": str(inputs["Order_Number"]) if has_order else "",
                "PDCT": inputs["Order_Type"] if has_order else "",
                "RMK": item["Remark"] or inputs["Remark"] or "",
                "TORG": call.username[:10],
                **call.audit("EP0411Z1"),
            }
        )
    distribution_rows = [
        {
            **_distribution_line(call, control, money, line, account, amount, gl_date, position),
            "KCO": company,
            "DCT": "PV",
            "EXA": line["Explanation"] or "",
            "AN8": supplier["AN8"],
            "VINV": inputs["Invoice_Number"],
            "ICUT": "V",
        }
        for position, (line, account, amount) in enumerate(
            zip(distribution, accounts, line_amounts, strict=True), start=1
        )
    ]
    _write_batch(call, edi, {"F0411Z1": voucher_rows, "F0911Z1": distribution_rows})
    return {
        **_echo(edi),
        "Pay_Item_Rows": len(voucher_rows),
        "Distribution_Rows": len(distribution_rows),
        # The domestic gross of a foreign voucher is R04110ZA's to compute: blank here, as the contract says.
        "Gross_Amount": "" if money.foreign else f"{gross:.2f}",
        "Currency_Amount": text(gross, money.decimals) if money.foreign else "",
    }


def create_journal_batch(call: Call, inputs: dict[str, Any]) -> dict[str, Any]:
    """F0911Z1 lines of one balanced journal entry: ``AA`` when domestic, each line's ``ACR`` in the entry's
    currency when foreign (the processor computes ``AA`` and writes the ``CA`` ledger itself)."""
    conn = call.store.conn
    lines = inputs["Lines"]
    _unique_lines(lines, "Lines")
    accounts = [_account(conn, line["Account"], f"Lines[{i}].Account") for i, line in enumerate(lines)]
    company = inputs["Company"]
    currency = inputs["Currency_Code"] or company_currency(conn, company) or ""
    label = (
        "Input 'Currency_Code'" if inputs["Currency_Code"] else "Input 'Currency_Code' (blank: the company's)"
    )
    money = _denomination(call, "journal entry", company, currency, label, inputs)
    amounts = _amounts(money, lines, "Lines", "Amount")
    balance = sum(amounts, Decimal(0))
    if balance != 0:
        places = money.decimals if money.foreign else 2
        raise BusinessError(
            "59A5",
            f"Journal lines sum to {text(balance, places)} {money.currency}; they must sum to "
            f"{text(Decimal(0), places)}",
        )
    gl_date = inputs["GL_Date"]
    call.check_gl_date(company, gl_date, "gl", "GL_Date")
    if money.foreign:
        _rate(call, money, gl_date)
    edi = _edi_key(inputs)
    control = _unprocessed(call, edi, "J")  # journal entry transaction type [DD]
    rows = [
        {
            **_distribution_line(call, control, money, line, account, amount, gl_date, position),
            "KCO": company,
            "DCT": inputs["Document_Type"],
            "SBL": line["Subledger"] or "",
            "SBLT": line["Subledger_Type"] or "",
            "EXA": line["Explanation"] or inputs["Explanation"] or "",
            "ICUT": "G",
        }
        for position, (line, account, amount) in enumerate(
            zip(lines, accounts, amounts, strict=True), start=1
        )
    ]
    _write_batch(call, edi, {"F0911Z1": rows})
    return {**_echo(edi), "Journal_Rows": len(rows)}


def _order_line(
    call: Call, header: dict[str, Any], line: dict[str, Any], number: int, label: str
) -> dict[str, Any]:
    """A new F4311 row for ``header`` from a ``Lines`` grid row."""
    conn = call.store.conn
    line_type = line["Line_Type"] or "J"
    fields: dict[str, Any] = {"LNTY": line_type}
    if line_type == "J":
        account = _account(
            conn, _require(line["Account"], f"{label}.Account", "is required for J lines"), f"{label}.Account"
        )
        fields.update(account.order_line_columns())
    else:
        fields["LITM"] = _require(line["Item_Number"], f"{label}.Item_Number", "is required for S lines")
    quantity = _require(line["Quantity"], f"{label}.Quantity")
    unit_cost = _require(line["Unit_Cost"], f"{label}.Unit_Cost")
    if quantity <= 0:
        raise BusinessError("59A0", f"Input '{label}.Quantity' must be greater than zero")
    cost = _scaled(unit_cost, 4)
    extended = round(int(quantity) * cost / 100)
    requested = line["Requested_Date"]
    return {
        **{
            key: header[key] for key in ("KCOO", "DOCO", "DCTO", "SFXO", "MCU", "AN8", "SHAN", "TRDJ", "CRCD")
        },
        **fields,
        "LNID": number * 1000,
        "CO": header["KCOO"],
        "DRQJ": to_julian(requested) if requested else header["DRQJ"],
        "DSC1": line["Description"] or fields.get("LITM", ""),
        "UOM": line["Unit_Of_Measure"] or "EA",
        "UORG": int(quantity),
        "UOPN": int(quantity),
        "PRRC": cost,
        "AEXP": extended,
        "AOPN": extended,
        "LTTR": "220",
        "NXTR": "280",
        "LT": "AA",
        # The line's own reference (the source system's line key) when sent, else the header's.
        "VR01": line.get("Reference") or header["VR01"],
        **call.audit("P4310", "TDAY"),
    }


def create_purchase_order(call: Call, inputs: dict[str, Any]) -> dict[str, Any]:
    conn = call.store.conn
    supplier = _supplier(conn, inputs["Supplier"], "Supplier")
    business_unit = _require_business_unit(conn, inputs["Business_Unit"], "Business_Unit")
    company = COMPANY_BY_CODE.get(inputs["Order_Company"])
    order_date = inputs["Order_Date"]
    requested = inputs["Requested_Date"] or order_date
    doco = call.store.next_number("F4301", "DOCO", floor=4000)
    header = {
        "KCOO": inputs["Order_Company"],
        "DOCO": doco,
        "DCTO": inputs["Order_Type"],
        "SFXO": "000",
        "MCU": right_justify(business_unit),
        "AN8": supplier["AN8"],
        "SHAN": company.address_number if company else 0,
        "TRDJ": to_julian(order_date),
        "DRQJ": to_julian(requested),
        "PDDJ": to_julian(requested),
        "OPDJ": to_julian(requested),
        "PEFJ": to_julian(order_date),
        "VR01": inputs["Reference"] or "",
        "RMK": inputs["Remark"] or "",
        "PTC": supplier["TRAP"],
        "CRRM": "D",
        "CRCD": inputs["Currency_Code"] or supplier["CRRP"],
        "BCRC": company.currency if company else "",
        "ORBY": call.username[:10],
        "TKBY": call.username[:10],
        **call.audit("P4310", "TDAY"),
    }
    lines = [
        _order_line(call, header, line, number, f"Lines[{number - 1}]")
        for number, line in enumerate(inputs["Lines"], start=1)
    ]
    with call.store.transaction() as conn:
        call.store.insert("F4301", [header], connection=conn)
        call.store.insert("F4311", lines, connection=conn)
    return {
        "Order_Company": header["KCOO"],
        "Order_Number": doco,
        "Order_Type": header["DCTO"],
        "Order_Suffix": "000",
        "Line_Count": len(lines),
        "Order_Total": _money(sum(line["AEXP"] for line in lines)),
    }


def update_purchase_order(call: Call, inputs: dict[str, Any]) -> dict[str, Any]:
    key = (inputs["Order_Company"], inputs["Order_Number"], inputs["Order_Type"], inputs["Order_Suffix"])
    rows = call.store.fetch_dicts(
        'SELECT * FROM "F4301" WHERE "KCOO" = ? AND "DOCO" = ? AND "DCTO" = ? AND "SFXO" = ?', key
    )
    if not rows:
        raise BusinessError("59A6", f"Order {' '.join(map(str, key))} does not exist")
    header = rows[0]
    lines = {
        row["LNID"]: row
        for row in call.store.fetch_dicts(
            'SELECT * FROM "F4311" WHERE "KCOO" = ? AND "DOCO" = ? AND "DCTO" = ? AND "SFXO" = ?', key
        )
    }
    stamp = call.audit("P4310", "TDAY")
    header_changes = {
        column: value
        for column, value in (
            ("DRQJ", to_julian(inputs["Requested_Date"]) if inputs["Requested_Date"] else None),
            ("PDDJ", to_julian(inputs["Promised_Date"]) if inputs["Promised_Date"] else None),
            ("VR01", inputs["Reference"]),
            ("RMK", inputs["Remark"]),
        )
        if value is not None
    }
    header.update(header_changes)
    updates: list[tuple[int, dict[str, Any]]] = []
    new_lines: list[dict[str, Any]] = []
    cancelled = 0
    next_line = max(lines, default=0) // 1000 + 1
    for index, line in enumerate(inputs["Lines"]):
        label = f"Lines[{index}]"
        if line["Line_Number"] is None:
            new_lines.append(_order_line(call, header, line, next_line, label))
            next_line += 1
            continue
        lnid = _scaled(line["Line_Number"], 3)
        current = lines.get(lnid)
        if current is None:
            raise BusinessError(
                "59A7", f"{label}.Line_Number {line['Line_Number']} does not exist on the order"
            )
        if current["NXTR"] == "999" or current["LTTR"] == "980":
            raise BusinessError(
                "59A7",
                f"{label}.Line_Number {line['Line_Number']} is closed "
                f"(status {current['LTTR']}/{current['NXTR']})",
            )
        changes: dict[str, Any] = dict(stamp)
        if line["Cancel"] == "Y":
            changes.update({"LTTR": "980", "NXTR": "999", "UOPN": 0, "AOPN": 0})
            cancelled += 1
        else:
            quantity = int(line["Quantity"]) if line["Quantity"] is not None else current["UORG"]
            if quantity <= 0:
                raise BusinessError("59A0", f"Input '{label}.Quantity' must be greater than zero")
            cost = _scaled(line["Unit_Cost"], 4) if line["Unit_Cost"] is not None else current["PRRC"]
            open_quantity = max(quantity - current["UREC"], 0)
            changes.update(
                {
                    "UORG": quantity,
                    "PRRC": cost,
                    "AEXP": round(quantity * cost / 100),
                    "UOPN": open_quantity,
                    "AOPN": round(open_quantity * cost / 100),
                }
            )
            if line["Description"] is not None:
                changes["DSC1"] = line["Description"]
            if line["Requested_Date"] is not None:
                changes["DRQJ"] = to_julian(line["Requested_Date"])
            if line.get("Reference") is not None:
                changes["VR01"] = line["Reference"]
        updates.append((lnid, changes))
    with call.store.transaction() as conn:
        _update(conn, "F4301", {**header_changes, **stamp}, key)
        for lnid, changes in updates:
            _update(conn, "F4311", changes, key, lnid)
        call.store.insert("F4311", new_lines, connection=conn)
    return {
        "Order_Number": inputs["Order_Number"],
        "Lines_Updated": len(updates) - cancelled,
        "Lines_Added": len(new_lines),
        "Lines_Cancelled": cancelled,
    }


def _update(
    conn: sqlite3.Connection, table: str, changes: dict[str, Any], key: tuple, lnid: int | None = None
) -> None:
    assignments = ", ".join(f'"{column}" = ?' for column in changes)
    where = '"KCOO" = ? AND "DOCO" = ? AND "DCTO" = ? AND "SFXO" = ?' + (
        ' AND "LNID" = ?' if lnid is not None else ""
    )
    params = (*changes.values(), *key, *((lnid,) if lnid is not None else ()))
    conn.execute(f'UPDATE "{table}" SET {assignments} WHERE {where}', params)


def add_update_supplier(call: Call, inputs: dict[str, Any]) -> dict[str, Any]:
    conn = call.store.conn
    try:
        check_detail_inputs(inputs)
    except DetailError as exc:
        raise BusinessError("59A0", str(exc)) from None
    if inputs["Business_Unit"]:
        _require_business_unit(conn, inputs["Business_Unit"], "Business_Unit")
    book_changes = {
        column: value
        for column, value in (
            ("ALPH", inputs["Alpha_Name"]),
            ("DC", compress(inputs["Alpha_Name"]) if inputs["Alpha_Name"] else None),
            ("TAX", inputs["Tax_ID"]),
            ("ALKY", inputs["Long_Address_Number"]),
            ("LNGP", inputs["Language"]),
        )
        if value is not None
    }
    supplier_changes = {
        column: value
        for column, value in (
            ("MCUP", right_justify(inputs["Business_Unit"]) if inputs["Business_Unit"] else None),
            ("CRRP", inputs["Currency_Code"]),
            ("TRAP", inputs["Payment_Terms"]),
            ("PYIN", inputs["Payment_Instrument"]),
            ("HDPY", inputs["Hold_Payment"]),
            ("APC", inputs["AP_Class"]),
        )
        if value is not None
    }
    company_code = inputs["Company"]
    if not conn.execute('SELECT 1 FROM "F0901" WHERE "CO" = ? LIMIT 1', (company_code,)).fetchone():
        raise BusinessError("59A0", f"Input 'Company' {company_code!r} is not a company in this environment")
    company = COMPANY_BY_CODE.get(company_code)
    supplier_defaults = {
        "KCOP": company_code,
        "MCUP": right_justify(company.business_units[0]) if company else "",
        "CRRP": company.currency if company else "",
        "CRCA": company.currency if company else "",
        "TRAP": "N30",
        "HDPY": "N",
        "SCK": "N",
        "AVCH": "N",
    }
    stamp = call.audit("P04012")
    an8 = inputs["Address_Number"]
    with call.store.transaction() as conn:
        if an8 is None:
            _require(inputs["Alpha_Name"], "Alpha_Name", "is required when adding a supplier")
            an8 = call.store.next_number("F0101", "AN8", floor=1001)
            call.store.insert(
                "F0101",
                [
                    {
                        "AN8": an8,
                        "AT1": "V",
                        "TAXC": "C",
                        "ATP": "Y",
                        "ATR": "N",
                        "AN81": an8,
                        "MCU": supplier_defaults["MCUP"],
                        **book_changes,
                        **stamp,
                    }
                ],
                connection=conn,
            )
            action, has_supplier_row = "ADDED", False
        else:
            if not conn.execute('SELECT 1 FROM "F0101" WHERE "AN8" = ?', (an8,)).fetchone():
                raise BusinessError(
                    "59AA", f"Address number {an8} (Address_Number) is not in the Address Book F0101"
                )
            _update_by_an8(conn, "F0101", {**book_changes, **stamp}, an8)
            action = "UPDATED"
            has_supplier_row = bool(conn.execute('SELECT 1 FROM "F0401" WHERE "AN8" = ?', (an8,)).fetchone())
        # An address book entry without a supplier master row gets one, with the defaults, like a new one.
        if has_supplier_row:
            _update_by_an8(conn, "F0401", {**supplier_changes, **stamp}, an8)
        else:
            call.store.insert(
                "F0401",
                [{"AN8": an8, "SNTO": an8, **supplier_defaults, **supplier_changes, **stamp}],
                connection=conn,
            )
        write_supplier_details(call.store, conn, an8, inputs, stamp["UPMJ"], call.audit)
    return {"Address_Number": an8, "Action": action}


def _update_by_an8(conn: sqlite3.Connection, table: str, changes: dict[str, Any], an8: int) -> None:
    assignments = ", ".join(f'"{column}" = ?' for column in changes)
    conn.execute(f'UPDATE "{table}" SET {assignments} WHERE "AN8" = ?', (*changes.values(), an8))


def _payment_denomination(
    call: Call, inputs: dict[str, Any], item: dict[str, Any], label: str
) -> Denomination:
    """How the voucher is paid: in its own currency. A foreign voucher (F0411 CRRM F) in Currency_Mode F
    with Currency_Amount, a domestic one in Currency_Mode D with Payment_Amount; a Currency_Code other than
    the voucher's is refused (59AE), a mode that does not match it too (59A0)."""
    currency, foreign, mode = item["CRCD"], item["CRRM"] == "F", inputs["Currency_Mode"]
    if inputs["Currency_Code"] and inputs["Currency_Code"] != currency:
        raise BusinessError(
            "59AE",
            f"Input 'Currency_Code' {inputs['Currency_Code']} is not voucher {label}'s currency {currency}",
        )
    if foreign and mode != "F":
        raise BusinessError(
            "59A0",
            f"Voucher {label} is in {currency}, foreign to its company {item['CO']} (F0411 CRRM F): it is "
            "paid in its own currency, Currency_Mode F with Currency_Amount",
        )
    if not foreign and mode != "D":
        raise BusinessError(
            "59A0",
            f"Voucher {label} is domestic ({currency}, F0411 CRRM D): it is paid in Currency_Mode D with "
            "Payment_Amount",
        )
    if foreign:
        return _denomination(call, "payment", item["CO"], currency, f"Voucher {label}'s currency", inputs)
    if inputs["Exchange_Rate"] is not None:
        raise BusinessError(
            "59A0", "Input 'Exchange_Rate' applies to a foreign voucher (Currency_Mode F) only"
        )
    return Denomination("payment", item["CO"], currency, 2, currency, 2, False, None)


def record_payment(call: Call, inputs: dict[str, Any]) -> dict[str, Any]:
    """A payment made outside JDE recorded against a voucher's open pay items, oldest first.

    A foreign voucher is paid in its own currency: ``FAP`` is relieved by the amount paid, ``AAP`` in
    proportion (all of it once ``FAP`` reaches zero), and the payment's domestic amount at its own rate
    (stated, else F0015 on its G/L date) minus the domestic amount relieved is the realized gain or loss,
    kept on the payment (``sbx_payments``; F0414 carries the payment's ``CRR`` and the voucher's ``HCRR``)."""
    conn = call.store.conn
    key = (inputs["Document_Company"], inputs["Document_Number"], inputs["Document_Type"])
    sql = (
        'SELECT "SFX", "SFXE", "AAP", "FAP", "PST", "AN8", "CO", "CRCD", "CRRM", "CRR" FROM "F0411" '
        'WHERE "KCO" = ? AND "DOC" = ? AND "DCT" = ?'
    )
    params: tuple[Any, ...] = key
    if inputs["Pay_Item"]:
        sql += ' AND "SFX" = ?'
        params = (*key, inputs["Pay_Item"])
    items = call.store.fetch_dicts(sql + ' ORDER BY "SFX", "SFXE"', params)
    label = " ".join(map(str, params))
    if not items:
        raise BusinessError("59A8", f"Voucher {label} is not in the A/P ledger F0411")
    if conn.execute(
        'SELECT 1 FROM "sbx_payments" WHERE "kco" = ? AND "doc" = ? AND "dct" = ? AND "reference" = ?',
        (*key, inputs["Payment_Reference"]),
    ).fetchone():
        raise BusinessError(
            "59AB", f"Payment {inputs['Payment_Reference']!r} was already recorded on {label}"
        )
    money = _payment_denomination(call, inputs, items[0], label)
    # What is open, in the currency the voucher is paid in: FAP for a foreign voucher, AAP for a domestic one.
    open_column = "FAP" if money.foreign else "AAP"
    open_items = [item for item in items if item[open_column] > 0]
    held = [item["SFX"] for item in open_items if item["PST"] == "H"]
    if held:
        raise BusinessError("59A9", f"Voucher {label} pay item(s) {held} are on hold")
    amount_field = "Currency_Amount" if money.foreign else "Payment_Amount"
    try:
        paid = money.amount(inputs, "", "Payment_Amount")
    except MoneyRefused as refused:
        raise BusinessError(refused.code, refused.detail) from None
    if paid <= 0:
        raise BusinessError("59A0", f"Input '{amount_field}' must be greater than zero")
    places = money.decimals
    amount = to_stored(paid, places)
    open_total = sum(item[open_column] for item in open_items)
    if amount > open_total:
        raise BusinessError(
            "59AC",
            f"Payment {text(paid, places)} {money.currency} exceeds the open amount "
            f"{text(from_stored(open_total, places), places)} {money.currency} of {label}",
        )
    # The payment posts in the voucher's company on its G/L date (A/P, system 04): GL_Date when given, else
    # its payment date.
    gl_field = "GL_Date" if inputs.get("GL_Date") else "Payment_Date"
    call.check_gl_date(open_items[0]["CO"], inputs[gl_field], "ap", gl_field)
    rate = _rate(call, money, inputs[gl_field]) if money.foreign else None
    stamp = call.audit("P0413M")
    remaining = amount
    statuses = []
    domestic_left = 0  # AAP left on the pay items paid (cents)
    relieved_total = paid_domestic = 0
    details: list[dict[str, Any]] = []  # F0414: one row per pay item paid, carrying the reference
    with call.store.transaction() as conn:
        payment_number = int(
            conn.execute('SELECT COALESCE(MAX("payment_number"), 700000) + 1 FROM "sbx_payments"').fetchone()[
                0
            ]
        )
        for item in open_items:
            applied = min(item[open_column], remaining)
            remaining -= applied
            left = item[open_column] - applied
            new_status = "P" if left == 0 else item["PST"]
            statuses.append(new_status)
            if rate is None:
                relieved, line_domestic, changes = applied, applied, {"AAP": left}
            else:
                # AAP in proportion to FAP, all of it with the last of FAP, so nothing domestic stays open.
                relieved = item["AAP"] if left == 0 else _share(item["AAP"], applied, item["FAP"])
                line_domestic = _scaled(
                    convert(from_stored(applied, places), rate, money.domestic_decimals), 2
                )
                changes = {"FAP": left, "AAP": item["AAP"] - relieved}
            domestic_left += item["AAP"] - relieved
            relieved_total += relieved
            paid_domestic += line_domestic
            if applied:
                changes |= {"PST": new_status, **stamp}
                assignments = ", ".join(f'"{column}" = ?' for column in changes)
                conn.execute(
                    f'UPDATE "F0411" SET {assignments} WHERE "KCO" = ? AND "DOC" = ? AND "DCT" = ? '
                    'AND "SFX" = ? AND "SFXE" = ?',
                    (*changes.values(), *key, item["SFX"], item["SFXE"]),
                )
                voucher = {
                    "KCO": key[0],
                    "DOC": key[1],
                    "DCT": key[2],
                    "SFX": item["SFX"],
                    "SFXE": item["SFXE"],
                }
                line = {"PYID": payment_number, "RC5": len(details) + 1, "DCTM": "PK", "PAAP": line_domestic}
                foreign = {"PFAP": applied, "HCRR": item["CRR"]} if rate is not None else {}
                paid_item = {"AN8": item["AN8"], "CO": item["CO"], "RMK": inputs["Payment_Reference"]}
                currency = _currency_columns(money, rate)
                details.append({**line, **foreign, **currency, **voucher, **paid_item, **stamp})
        header = {"PYID": payment_number, "DCTM": "PK", "PYE": open_items[0]["AN8"], "PAAP": paid_domestic}
        header |= {"PFAP": amount if rate is not None else 0, **_currency_columns(money, rate)}
        header |= {"DMTJ": to_julian(inputs["Payment_Date"]), **stamp}
        call.store.insert("F0413", [header], connection=conn)
        call.store.insert("F0414", details, connection=conn)
        record = {
            "payment_number": payment_number,
            "kco": key[0],
            "doc": key[1],
            "dct": key[2],
            "sfx": inputs["Pay_Item"] or "",
            "reference": inputs["Payment_Reference"],
            "amount": paid_domestic,
            "payment_date": to_julian(inputs["Payment_Date"]),
            "username": call.username,
            "upmj": stamp["UPMJ"],
            "upmt": stamp["UPMT"],
            "currency": money.currency,
            "currency_amount": amount if rate is not None else 0,
            "exchange_rate": to_stored(rate, RATE_DECIMALS) if rate is not None else 0,
            "domestic_relieved": relieved_total,
            "gain_loss": paid_domestic - relieved_total,
        }
        conn.execute(
            f'INSERT INTO "sbx_payments" ({", ".join(record)}) VALUES ({", ".join("?" for _ in record)})',
            tuple(record.values()),
        )
    open_left = open_total - amount
    outputs = {
        "Payment_Number": payment_number,
        "Open_Amount": _money(domestic_left),
        "Currency_Open_Amount": text(from_stored(open_left, places), places) if money.foreign else "",
        "Pay_Status": "P" if open_left == 0 else next((s for s in statuses if s != "P"), "A"),
    }
    return outputs


def _share(domestic_open: int, applied: int, foreign_open: int) -> int:
    """The domestic open amount (cents) relieved by paying ``applied`` of ``foreign_open``, half up."""
    share = Decimal(domestic_open) * applied / foreign_open
    return int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP))


HANDLERS: dict[str, Callable[[Call, dict[str, Any]], dict[str, Any]]] = {
    "ML_CreateVoucherBatch": create_voucher_batch,
    "ML_CreateJournalBatch": create_journal_batch,
    "ML_CreatePurchaseOrder": create_purchase_order,
    "ML_UpdatePurchaseOrder": update_purchase_order,
    "ML_AddUpdateSupplier": add_update_supplier,
    "ML_RecordPayment": record_payment,
}


def _timing(started: dt.datetime, started_clock: float) -> dict[str, Any]:
    elapsed = time.perf_counter() - started_clock
    return {
        "jde__startTimestamp": timestamp(started),
        "jde__endTimestamp": timestamp(started + dt.timedelta(seconds=elapsed)),
        "jde__serverExecutionSeconds": round(elapsed, 3),
    }


def _description(cause: str, spec: ErrorSpec) -> dict[str, str]:
    return {"DESC": f"CAUSE . . . . {cause}\nRESOLUTION. . {spec.resolution}", "MOBILE": cause}


def _warnings(contract: Contract, warnings: list[dict[str, Any]]) -> dict[str, Any]:
    """Warnings of a call that succeeded, where an orchestration step reports them (reference 2.6):
    ``Errors/Warnings`` naming the form, nothing when there are none."""
    if not warnings:
        return {}
    step = {
        "Application ID": contract.form,
        "Title": contract.service_request,
        "Errors": [],
        "Warnings": warnings,
    }
    return {"Errors/Warnings": [step]}


def error_body(
    contract: Contract,
    error: BusinessError,
    started: dt.datetime,
    clock: float,
    codes: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The observed nested failure shape (reference 2.6): message -> service request -> form errors."""
    spec = error.spec or contract.errors.get(error.code)
    if spec is None:  # a handler raised a code its contract does not list: a sandbox bug, say so
        raise RuntimeError(f"{contract.name} raised {error.code}, which its contract does not list")
    cause = " ".join(part for part in (spec.cause, error.detail) if part)
    timing = _timing(started, clock)
    return {
        "message": {
            f"ServiceRequest: {contract.service_request}": {
                "App Stack Form Exception": {"Expected Form": contract.form},
                "JAS Response": {
                    f"fs_{contract.form}": {
                        "errors": [
                            {
                                "CODE": (codes or {}).get(spec.code, spec.code),
                                "TITLE": spec.title,
                                **_description(cause, spec),
                            }
                        ]
                    }
                },
            }
        },
        "exception": "Exception",
        "exceptionId": str(uuid.uuid4()),
        "timeStamp": timing["jde__endTimestamp"],
        "jde__status": "ERROR",
        "jde__simpleMessage": f"{contract.service_request} failed: {spec.title}",
        **timing,
    }


def run(
    contract: Contract, call: Call, payload: dict[str, Any], pattern: DatePattern
) -> tuple[bool, dict[str, Any]]:
    """Execute one orchestration: (succeeded, response body)."""
    clock = time.perf_counter()
    try:
        try:
            inputs = validate_inputs(contract, payload, pattern)
        except InputError as exc:
            raise BusinessError("59A0", str(exc)) from exc
        outputs = HANDLERS[contract.name](call, inputs)
    except BusinessError as error:
        return False, error_body(contract, error, call.now, clock, call.error_codes)
    return True, {
        **outputs,
        **_warnings(contract, call.warnings),
        "jde__status": "SUCCESS",
        **_timing(call.now, clock),
    }
