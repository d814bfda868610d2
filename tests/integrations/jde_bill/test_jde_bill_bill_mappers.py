"""The JDE -> BILL bill mappers alone: pure functions of JDE documents and the checked tables, so every
rule and every refusal's wording is proven without a simulator."""

from datetime import date

import pytest
from built_parts import built

from connector_assets.bill.classifications import BillClassification
from connector_assets.bill.targets import BillAlreadyPaid
from connector_assets.flows.core import Mapped, Rejected
from connector_assets.integrations.jde_bill.bill_mappers import Books, map_order_bill, map_voucher_bill
from connector_assets.integrations.jde_bill.bill_mappings import BillPolicy, BillTables, LineCoder, net_days
from connector_assets.integrations.jde_bill.bill_target import (
    CURRENCY_RULE,
    BillCurrencyMismatch,
    BillsFromJde,
)
from connector_assets.jde.accounts import GlAccounts
from connector_assets.jde.document_statuses import order_approved, voucher_payable
from connector_assets.jde.documents import JdePurchaseOrder, JdeVoucher
from connector_assets.jde.order_vouchers import first_voucher
from connector_resources.mapping_gaps import MappingGap, mapping_gaps
from connector_resources.refusals import refusal_of

PARTS = built("jde_bill")
TABLES = BillTables(*PARTS.mapping_tables)
ACCOUNTS, DEPARTMENTS, PAYMENT_TERMS = TABLES
SUPPLIES, ARCHIVED = "0ca02SUPPLIES000001", "0ca02ADVERTISING001"
OPERATIONS, CLOSED_DEPT = "0de02OPERATIONS0001", "0de02VENTES00000001"
POLICY = BillPolicy(
    approved_status=220, closed_status=980, voucher_statuses=frozenset({"A"}), default_net_days=30
)
F0901 = [
    {"MCU": "          20", "OBJ": "8150", "SUB": "", "CO": "00001", "PEC": ""},
    {"MCU": "          20", "OBJ": "8160", "SUB": "", "CO": "00001", "PEC": "N"},
    {"MCU": "         M30", "OBJ": "7110", "SUB": "CONC", "CO": "00001", "PEC": ""},
    {"MCU": "          30", "OBJ": "6110", "SUB": "", "CO": "00001", "PEC": ""},
]


def _books(accounts=None, departments=None, terms=None, vendors=None) -> Books:
    coder = LineCoder(
        accounts
        if accounts is not None
        else {"20.8150": SUPPLIES, "M30.7110.CONC": SUPPLIES, "LNTY:S": SUPPLIES},
        departments if departments is not None else {"20": OPERATIONS, "M30": OPERATIONS, "30": CLOSED_DEPT},
        GlAccounts(F0901),
        {
            SUPPLIES: BillClassification("Office Supplies", False),
            ARCHIVED: BillClassification("Advertising", True),
        },
        {
            OPERATIONS: BillClassification("Operations", False),
            CLOSED_DEPT: BillClassification("Ventes", True),
        },
        TABLES,
    )
    return Books(
        coder,
        terms if terms is not None else {"N30": "30", "N45": "45"},
        POLICY,
        vendors or {4343: "009V"},
        PARTS.flow("vendors").spec,
    )


def _line(number: int, account: str = "20.8150", status: str = "220", **more) -> dict:
    """An F4311 line as the reader gives it (LNID decoded: 1.0 is line 1)."""
    return {"LNID": number, "ANI": account, "LNTY": "J", "LTTR": status, "UORG": 2, "PRRC": 10,
            "AEXP": 20, "DSC1": f"line {number}", **more}  # fmt: skip


def _order(*lines: dict, ptc: str = "N30") -> JdePurchaseOrder:
    header = {"KCOO": "00001", "DOCO": 4512, "DCTO": "OP", "AN8": 4343, "TRDJ": date(2025, 3, 1), "PTC": ptc}
    return JdePurchaseOrder(("00001", 4512, "OP", "000"), header, list(lines))


def _voucher(
    doc: int = 9001, *, po: str = "4512", status: str = "A", gross: str = "150.00", **more
) -> JdeVoucher:
    item = {"KCO": "00001", "DOC": doc, "DCT": "PV", "SFX": "001", "AN8": 4343, "VINV": f"INV-{doc}",
            "PST": status, "DIVJ": date(2025, 3, 10), "DDJ": date(2025, 4, 9), "AG": gross,
            "PKCO": "00001" if po else "", "PO": po, "PDCT": "OP" if po else "", "MCU": "          20",
            **more}  # fmt: skip
    return JdeVoucher(("00001", doc, "PV"), [item], order_line={"DOCO": 4512, "ANI": "20.8150", "LNTY": "J"})


def test_an_approved_order_becomes_a_bill_due_by_its_terms_with_classified_lines():
    mapped = map_order_bill(
        _order(_line(1), _line(2, "M30.7110.CONC", "400"), _line(3, status="980")), _books()
    )
    assert isinstance(mapped, Mapped) and mapped.source_key == "PO:00001:4512:OP"
    body = mapped.body
    assert body["invoice"] == {"invoiceNumber": "PO-00001-4512-OP", "invoiceDate": "2025-03-01"}
    assert (
        body["dueDate"] == "2025-03-31"
        and body["purchaseOrderNumber"] == "4512"
        and body["vendorId"] == "009V"
    )
    assert [line["amount"] for line in body["billLineItems"]] == [
        "20.00",
        "20.00",
    ]  # the cancelled line is off
    assert body["billLineItems"][0]["classifications"] == {
        "chartOfAccountId": SUPPLIES,
        "departmentId": OPERATIONS,
    }
    assert mapped.depends_on == "jde_bill:vendor:JDE:4343"


def test_which_orders_and_vouchers_qualify_is_the_policys():
    assert order_approved(_order(_line(1, status="220"), _line(2, status="999")), POLICY)
    assert not order_approved(
        _order(_line(1, status="220"), _line(2, status="130")), POLICY
    )  # one in approval
    assert not order_approved(_order(_line(1, status="980")), POLICY)  # everything cancelled
    assert voucher_payable(_voucher(), POLICY) and not voucher_payable(_voucher(status="P"), POLICY)
    assert first_voucher([_voucher(9003), _voucher(9001), _voucher(9002)]).key[1] == 9001


@pytest.mark.parametrize(
    ("line", "books", "reason", "group"),
    [
        (
            _line(1, "20.9999"),
            _books(),
            "account 20.9999 not found in F0901 (purchase order 00001/4512/OP line 1)",
            "source_invalid · account (F0901)",
        ),
        (
            _line(1, "20.8160"),
            _books(),
            "account 20.8160 is not postable (posting edit code N",
            "source_invalid · account (F0901)",
        ),
        (
            _line(1),
            _books(accounts={"20.8150": "0ca02NOSUCHACCOUNT01"}),
            "BILL chart-of-accounts id 0ca02NOSUCHACCOUNT01 (mapped from account 20.8150) not in BILL "
            "(archived?)",
            "master_missing · bill · chart-of-accounts id",
        ),
        (
            _line(1),
            _books(accounts={"20.8150": ARCHIVED}),
            f"BILL chart-of-accounts id {ARCHIVED} ('Advertising', mapped from account 20.8150) is archived "
            "in BILL",
            "master_missing · bill · chart-of-accounts id",
        ),
        (
            _line(1),
            _books(accounts={}),
            "account 20.8150 has no BILL chart-of-accounts id in the account mapping",
            f"mapping_missing · {ACCOUNTS.name}",
        ),
        (
            _line(1),
            _books(departments={}),
            "business unit 20 has no BILL department id in the department mapping",
            f"mapping_missing · {DEPARTMENTS.name}",
        ),
        (
            _line(1, "30.6110"),
            _books(accounts={"30.6110": SUPPLIES}),
            f"BILL department id {CLOSED_DEPT} ('Ventes', mapped from business unit 30) is archived in BILL",
            "master_missing · bill · department id",
        ),
        (
            _line(1, "", LNTY="S", MCU="  NOPE"),
            _books(),
            "business unit NOPE not found in F0901",
            "source_invalid · business unit",
        ),
    ],
)
def test_a_line_that_does_not_exist_on_both_sides_refuses_the_order_naming_it(line, books, reason, group):
    refused = map_order_bill(_order(line), books)
    assert isinstance(refused, Rejected) and refused.source_key == "PO:00001:4512:OP"
    assert refused.reason.startswith("purchase order 00001/4512/OP: ") and reason in refused.reason
    # the kind is data, the same for every record a person fixes at once; the sentence is the reason
    assert refused.refusal is not None and refused.refusal.group == group
    assert refused.refusal.sentence == refused.reason


def test_an_order_whose_lines_lack_rows_of_one_table_names_every_value_as_data():
    lines = (_line(1, "20.8150"), _line(2, "M30.7110.CONC"), _line(3, "", LNTY="S", MCU="20"))
    refused = map_order_bill(_order(*lines), _books(accounts={"20.8150": SUPPLIES}))
    assert isinstance(refused, Rejected) and refused.refusal is not None
    assert refused.refusal.group == f"mapping_missing · {ACCOUNTS.name}"
    assert mapping_gaps(refused.refusal.kind, refused.refusal.params) == [
        MappingGap("account", "M30.7110.CONC", ACCOUNTS.name),
        MappingGap("account", "LNTY:S", ACCOUNTS.name),
    ]


def test_due_dates_come_from_terms_a_default_without_any_and_unknown_terms_are_refused():
    terms = PAYMENT_TERMS
    assert (
        net_days(["", "N45"], {"N45": "45"}, POLICY, terms) == 45
    )  # the supplier's terms when the order has none
    assert net_days(["", None], {}, POLICY, terms) == 30  # no terms at all: the default
    blank = map_order_bill(_order(_line(1), ptc=""), _books(), supplier_terms="")
    assert blank.body["dueDate"] == "2025-03-31"
    unknown = map_order_bill(_order(_line(1), ptc="N99"), _books())
    assert (
        isinstance(unknown, Rejected)
        and "payment terms N99 have no net days in the terms mapping" in unknown.reason
    )
    assert unknown.refusal is not None and unknown.refusal.kind == "mapping_missing"
    assert mapping_gaps(unknown.refusal.kind, unknown.refusal.params) == [
        MappingGap("payment terms", "N99", PAYMENT_TERMS.name)
    ]


def test_a_voucher_is_a_bill_of_its_own_or_the_content_of_its_orders_bill():
    own = map_voucher_bill(_voucher(), _books())
    assert own.source_key == "PV:00001:9001:PV" and own.body["invoice"]["invoiceNumber"] == "INV-9001"
    assert own.body["dueDate"] == "2025-04-09" and "voucher" not in own.natural_key
    taken = map_voucher_bill(_voucher(), _books(), _order(_line(1)), takes_over=("00001", 4512, "OP"))
    assert taken.source_key == "PO:00001:4512:OP" and taken.natural_key["voucher"] == "PV:00001:9001:PV"
    # found by the voucher's invoice number, or by the order's, should a crash have left that bill
    assert taken.natural_key["invoice_numbers"] == ["INV-9001", "PO-00001-4512-OP"]
    assert [line["amount"] for line in taken.body["billLineItems"]] == ["150.00"]


def test_a_voucher_without_an_invoice_number_or_above_zero_is_refused():
    unnumbered = map_voucher_bill(_voucher(VINV=" "), _books())
    assert "no supplier invoice number (F0411 VINV)" in unnumbered.reason
    assert unnumbered.refusal.group == "source_invalid · F0411 VINV"
    credit = map_voucher_bill(_voucher(gross="-20.00"), _books())
    assert "a credit is entered in BILL as a vendor credit, not a bill" in credit.reason
    assert credit.refusal.group == "refused · credit, not a bill"


def test_a_voucher_without_an_order_is_billed_by_its_distribution_which_must_add_up():
    voucher = _voucher(po="")
    row = {"JELN": 1, "ANI": "20.8150", "AA": "100.00", "EXA": "Gravel"}
    spread = JdeVoucher(voucher.key, voucher.pay_items, None, [row, {**row, "JELN": 2, "AA": "50.00"}])
    assert [line["amount"] for line in map_voucher_bill(spread, _books()).body["billLineItems"]] == [
        "100.00",
        "50.00",
    ]
    short = map_voucher_bill(JdeVoucher(voucher.key, voucher.pay_items, None, [row]), _books())
    assert "totals 100.00 but its pay items total 150.00" in short.reason
    assert short.refusal.kind == "source_invalid" and short.refusal.sentence == short.reason


class _Session:
    def __init__(self, status: str) -> None:
        self.status, self.patched = status, []

    def get(self, entity, bill_id):
        return {"id": bill_id, "paymentStatus": self.status, "invoice": {"invoiceNumber": "PO-00001-4512-OP"}}

    def update_bill(self, bill_id, body):
        self.patched.append(bill_id)


def test_a_bill_bill_has_paid_is_never_rewritten():
    record = map_voucher_bill(_voucher(), _books(), _order(_line(1)), takes_over=("00001", 4512, "OP"))
    session = _Session("PAID")
    with pytest.raises(
        BillAlreadyPaid,
        match=r"BILL bill 00nPAID \(invoice PO-00001-4512-OP\) is PAID in BILL; it is not rewritten",
    ):
        BillsFromJde(session, ledger=None).update("00nPAID", record)
    assert session.patched == []


def test_the_targets_refusals_keep_their_kind_through_the_writer():
    paid = refusal_of(BillAlreadyPaid("BILL bill 00n1 is PAID in BILL"), "said", system="bill")
    assert (paid.group, paid.sentence) == ("conflict · bill", "said")
    mismatch = refusal_of(BillCurrencyMismatch("the JDE document is in EUR ..."), "", system="bill")
    assert mismatch.group == f"refused · {CURRENCY_RULE}" and mismatch.attention == "person"
