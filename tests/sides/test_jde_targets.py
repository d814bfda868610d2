"""The shared JDE write targets against the JDE simulator: a journal entry written once through
``ML_CreateJournalBatch``, a repeat adopted on 59A4 (never a second entry), rows under the key that are
another entry's refused, and JDE's own refusal told in a finance user's words."""

import datetime as dt
from functools import partial

import pytest
from sandbox_logins import on_simulator

from connector_assets.flows.core import Created, Mapped
from connector_assets.jde.periods import CompanyCurrencyUnknown
from connector_assets.jde.targets import BatchKey, JdeRefused, JournalBatches, Suppliers, VoucherChanged
from connector_resources.jde import JdeAisResource
from connector_sandbox.jde_ais import JdeSandboxSettings, run_in_thread
from connector_sandbox.jde_ais.settings import PeriodSettings
from tests.sandbox.serving import served


@pytest.fixture(scope="module")
def jde():
    # The journal entries these tests write are dated 2026-03-02: the companies are open there.
    periods = PeriodSettings(current_period_date=dt.date(2026, 3, 1))
    settings = JdeSandboxSettings(scale=0.02, anchor_date=dt.date(2026, 3, 1), periods=periods)
    yield from served(run_in_thread(settings), partial(on_simulator, JdeAisResource))


def _postable(session, count: int) -> list[tuple[str, str]]:
    """(company, BU.OBJ[.SUB]) of postable accounts of one company in the sandbox's F0901."""
    rows = [r for r in session.browse("F0901", columns=["CO", "MCU", "OBJ", "SUB", "PEC"]) if r["PEC"] == ""]
    company = rows[0]["CO"]
    found = []
    for row in rows:
        if row["CO"] == company:
            parts = [row["MCU"].strip(), row["OBJ"].strip(), row["SUB"].strip()]
            found.append((company, ".".join(p for p in parts if p)))
    return found[:count]


def _entry(key: BatchKey, company: str, accounts: list[str], amounts: list[str]) -> Mapped:
    body = {
        **key.body(),
        "Company": company,
        "GL_Date": "2026-03-02",
        "Explanation": "BILL payment P-1",
        "Lines": [
            {"EDI_Line_Number": n, "Account": account, "Amount": amount}
            for n, (account, amount) in enumerate(zip(accounts, amounts, strict=True), start=1)
        ],
    }
    return Mapped(source_key=key.transaction, body=body, fields={})


def test_a_journal_entry_is_written_once_and_a_repeat_is_adopted(jde):
    with jde.session() as session:
        (company, debit), (_, credit) = _postable(session, 2)
        key = BatchKey("MLBILL", "BP1001", "BILL-PAY-1001")
        record = _entry(key, company, [debit, credit], ["125.00", "-125.00"])
        assert JournalBatches(session, None, None, None).create(record) == "MLBILL/BP1001/BILL-PAY-1001"
        rows = list(session.browse("F0911Z1", columns=["EDLN", "AA"], conditions=key.conditions("F0911Z1")))
        assert len(rows) == 2
        again = JournalBatches(session, None, None, None).create(record)
        assert isinstance(again, Created) and again.action == "adopt" and "59A4" in again.reason
        assert (
            len(list(session.browse("F0911Z1", columns=["EDLN"], conditions=key.conditions("F0911Z1")))) == 2
        )


def test_rows_of_another_company_under_the_key_are_not_adopted(jde):
    with jde.session() as session:
        (company, debit), (_, credit) = _postable(session, 2)
        key = BatchKey("MLBILL", "BP1002", "BILL-PAY-1002")
        JournalBatches(session, None, None, None).create(
            _entry(key, company, [debit, credit], ["5.00", "-5.00"])
        )
        companies = [r["CO"] for r in session.browse("F0010", columns=["CO", "CRCD"]) if r["CRCD"]]
        elsewhere = next(c for c in companies if c not in (company, "00000"))
        other = _entry(key, elsewhere, [debit, credit], ["5.00", "-5.00"])
        with pytest.raises(VoucherChanged, match=f"belongs to company \\['{company}'\\], not {elsewhere}"):
            JournalBatches(session, None, None, None).create(other)


def test_money_for_a_company_jde_has_no_currency_for_waits_and_is_never_sent(jde):
    with jde.session() as session:
        (company, debit), (_, credit) = _postable(session, 2)
        key = BatchKey("MLBILL", "BP1003", "BILL-PAY-1003")
        unknown = _entry(key, "99999", [debit, credit], ["5.00", "-5.00"])
        with pytest.raises(
            CompanyCurrencyUnknown, match="JDE company 99999 has no row in JDE's company"
        ) as held:
            JournalBatches(session, None, None, None).create(unknown)
        assert held.value.depends_on == "JDE:company:F0010:99999"
        assert not list(session.browse("F0911Z1", columns=["EDLN"], conditions=key.conditions("F0911Z1")))


def test_an_unbalanced_entry_is_refused_in_a_finance_users_words(jde):
    with jde.session() as session:
        (company, debit), (_, credit) = _postable(session, 2)
        key = BatchKey("MLBILL", "BP1003", "BILL-PAY-1003")
        with pytest.raises(JdeRefused, match=r"a journal entry's lines to zero\) \(JDE 59A5"):
            JournalBatches(session, None, None, None).create(
                _entry(key, company, [debit, credit], ["5.00", "-4.00"])
            )
        assert not list(session.browse("F0911Z1", columns=["EDLN"], conditions=key.conditions("F0911Z1")))


def _supplier(**body) -> Mapped:
    return Mapped(source_key="V-77", body=body, fields={})


def test_a_supplier_is_added_found_by_tax_id_or_source_id_and_updated_in_place(jde):
    with jde.session() as session:
        target = Suppliers(session, None, None, None)
        record = _supplier(
            Alpha_Name="Granite Supply Co", Tax_ID="98-7654321", Long_Address_Number="PRC-V-77"
        )
        assert target.find(record) is None
        an8 = target.create(record)
        assert an8.isdigit()
        # A rerun that lost the answer finds it by tax ID, or by the source's vendor ID when there is none.
        assert target.find(record) == an8
        assert target.find(_supplier(Alpha_Name="Granite", Long_Address_Number="PRC-V-77")) == an8
        target.update(an8, _supplier(Alpha_Name="Granite Supply Company", Tax_ID="98-7654321"))
        [row] = session.browse("F0101", columns=["AN8", "ALPH", "AT1"], conditions=[_an8(an8)])
        assert row["ALPH"].strip() == "Granite Supply Company" and row["AT1"].strip() == "V"
        assert [r["AN8"] for r in session.browse("F0401", columns=["AN8"], conditions=[_an8(an8, "F0401")])]


def test_a_refused_supplier_names_jdes_reason(jde):
    refused = pytest.raises(JdeRefused, match=r"JDE refused one of the values sent \(JDE 59A0")
    with jde.session() as session, refused:
        Suppliers(session, None, None, None).create(_supplier(Alpha_Name="X", Company="99999"))


def _an8(an8: str, table: str = "F0101"):
    from connector_resources.jde import Condition

    return Condition(f"{table}.AN8", "EQUAL", int(an8))


def test_the_missing_record_checks_find_a_rate_and_a_currency_jde_holds_and_not_one_it_lacks(jde):
    """A record held on an exchange rate or a currency JDE lacks is released by the check that reads F0010,
    F0015 and F0013: a seeded EUR -> USD rate and JPY are found, CHF (no rate) and XYZ (no currency) not."""
    from connector_assets.jde.missing_master import CURRENCY, EXCHANGE_RATE, appeared_checks

    with jde.session() as session:
        checks = appeared_checks(session)
        rates = checks[EXCHANGE_RATE.parts](
            ["EUR/00001/2026-03-02", "CHF/00001/2026-03-02", "EUR/99999/2026-03-02"]
        )
        currencies = checks[CURRENCY.parts](["JPY", "XYZ"])
    assert set(rates) == {"EUR/00001/2026-03-02"}
    assert "EUR to USD" in rates["EUR/00001/2026-03-02"]
    assert set(currencies) == {"JPY"}
