"""The missing mapping-table values the fit report reads out of refusals, from the words the mappers write:
each reason below is made by calling the mapper where that is cheap, or copied from its f-string."""

from __future__ import annotations

from mapping_refusals import coupa_invoice_refusal

from connector_assets.bill.classifications import BillClassification
from connector_assets.bill.line_classifications import BillLineCoding
from connector_assets.integrations.fusion_procurify.account_map import ACCOUNT_MAP_ENV
from connector_assets.integrations.fusion_procurify.departments import DEPARTMENT_MAP_ENV
from connector_assets.integrations.jde_bill.bill_mappings import PAYMENT_TERMS as BILL_TERMS
from connector_assets.integrations.jde_bill.bill_mappings import BillPolicy, net_days
from connector_assets.integrations.jde_coupa.purchase_orders import _mapped_order
from connector_assets.integrations.jde_coupa.suppliers import PAYMENT_TERMS as COUPA_TERMS
from connector_assets.integrations.jde_coupa.suppliers import _mapped_supplier
from connector_assets.integrations.jde_procurify.departments import unplaced_reason
from connector_assets.integrations.jde_procurify.order_mappers import OrderLinesMapped
from connector_assets.integrations.jde_procurify.order_records import lines_refusal
from connector_assets.integrations.procore_jde.cost_codes import COST_CODES, PROJECTS, CostCodeMap
from connector_assets.jde.accounts import GlAccounts
from connector_assets.jde.documents import JdeSupplier
from connector_assets.preview.mapping_gaps import MappingGap, mapping_gaps

BILL_TABLES = ("ML_JDE_BILL_ACCOUNT_MAP", "ML_JDE_BILL_DEPARTMENT_MAP")


def test_jde_coupa_supplier_terms_missing_from_the_terms_table():
    refused = _mapped_supplier(JdeSupplier(4411, {"TRAP": "N45"}, {"ALPH": "Acme Ltd"}), {})
    assert mapping_gaps(refused.reason) == [
        MappingGap("payment terms", "N45", COUPA_TERMS.asset.to_user_string())
    ]


def test_jde_coupa_order_lines_whose_accounts_have_no_coupa_account_name_each_account():
    header = {"KCOO": "00001", "DOCO": 4711, "DCTO": "OP", "AN8": 4343, "CRCD": "USD"}
    typed = {"LNID": "1.000", "ANI": "20.9999", "LNTY": "J", "UORG": "1", "PRRC": "10.00", "DSC1": "x"}
    stock = {**typed, "LNID": "2.000", "ANI": "", "LNTY": "S"}  # no account: looked up by its line type
    refused = _mapped_order(header, [typed, stock], {})
    assert mapping_gaps(refused.reason) == [MappingGap("account", "20.9999"), MappingGap("account", "LNTY:S")]


def test_jde_coupa_voucher_account_without_a_coupa_account():
    # invoices._mapped_invoice: f"{label}: account {jde_account} has no Coupa account in the mapping table"
    reason = (
        "voucher 00001/9001/PV (invoice INV-9001): account 20.8150 has no Coupa account in the mapping table"
    )
    assert mapping_gaps(reason) == [MappingGap("account", "20.8150")]


def test_jde_bill_terms_without_net_days():
    reason = net_days(["", "N99"], {}, BillPolicy(220, 980, frozenset({"A"}), 30))
    assert mapping_gaps(reason) == [MappingGap("payment terms", "N99", BILL_TERMS.variable)]


def test_bill_line_classifications_missing_an_account_a_stock_line_or_a_business_unit():
    chart = {"0ca01SUPPLIES": BillClassification("Supplies", False)}
    coding = BillLineCoding({"20.8150": "0ca01SUPPLIES"}, {}, chart, {}, BILL_TABLES)
    account = coding.classify("20.1", "account 20.1", "20", "line 1")
    stock = coding.classify("LNTY:S", "stock lines (LNTY:S)", "20", "line 2")
    unit = coding.classify("20.8150", "account 20.8150", "30", "line 3")
    reason = f"purchase order 00001/4512/OP: {account}; {stock}; {unit}"
    assert mapping_gaps(reason) == [
        MappingGap("account", "20.1", BILL_TABLES[0]),
        MappingGap("account", "LNTY:S", BILL_TABLES[0]),
        MappingGap("business unit", "30", BILL_TABLES[1]),
    ]


def test_coupa_jde_invoice_lines_whose_coupa_accounts_map_to_no_jde_account():
    assert mapping_gaps(coupa_invoice_refusal()) == [
        MappingGap("Coupa account", "6100"),
        MappingGap("Coupa account", "6200"),
    ]


def test_fusion_procurify_account_codes_and_departments_without_a_row():
    # charge_accounts.ChargeAccounts.charge / charge_account
    account = f"Procurify account code M200.1410 has no row in the account map ({ACCOUNT_MAP_ENV})"
    department = (
        f"Procurify department Lyon|Chantier Est has no row in the department map ({DEPARTMENT_MAP_ENV}), "
        "and there is no * row"
    )
    reason = f"Procurify PO 3952 line 1 (Cable): {account}; Procurify PO 3952 line 2 (Skip): {department}"
    assert mapping_gaps(reason) == [
        MappingGap("Procurify account code", "M200.1410", ACCOUNT_MAP_ENV),
        MappingGap("Procurify department", "Lyon|Chantier Est", DEPARTMENT_MAP_ENV),
    ]


def test_jde_procurify_accounts_and_business_units_without_a_row():
    lines = OrderLinesMapped(
        problems=[
            "line 2: account M30.6990 has no Procurify account code",
            "line 3: account M30.7110 has no Procurify account code",
        ],
        unmapped=["M30.6990", "M30.7110"],
    )
    assert [gap.value for gap in mapping_gaps(lines_refusal(lines))] == ["M30.6990", "M30.7110"]
    assert mapping_gaps(unplaced_reason("30")) == [
        MappingGap("business unit", "30", "jde_procurify/department_map")
    ]


def test_procore_jde_projects_and_cost_codes_without_a_row():
    project = CostCodeMap({}, {}, GlAccounts([])).job("881360", "Tower A")
    assert mapping_gaps(project) == [
        MappingGap("project", "881360 (Tower A)", PROJECTS.asset.to_user_string())
    ]
    # jde.job_cost_map.JobCostMap.account, the job found but no row for the code
    table = COST_CODES.asset.to_user_string()
    code = (
        f"cost code 01-100 on project 881360 (Tower A) has no row in {table} "
        f"({COST_CODES.variable}; looked for 881360/01-100, 01-100, 01), so it has no JDE account"
    )
    assert mapping_gaps(code) == [MappingGap("cost code", "01-100", table)]


def test_a_reason_naming_no_mapping_table_names_no_missing_value():
    assert mapping_gaps("supplier 4411: no address book record (F0101) for this supplier number") == []
    assert mapping_gaps("") == []
