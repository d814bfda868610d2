"""JDE accounts <-> Procurify account codes: the account table and its two readings (pure), and the
``account_codes`` flow materialized against the JDE and Procurify simulators on free ports.

What is proved: the table is one-to-one both ways (a duplicate on either side names both lines); a JDE
account's code is the table's, else its own text within the scope; a Procurify code leads back to a JDE
account or is refused with ``account code 4000-0-0-0 not found in F0901`` / ``... is not postable in
F0901 (posting edit N ...)``; the sandbox table fits both sandboxes (every F4311 G/L line gets a code,
every code on a Procurify bill item leads back to a postable account); the flow creates each code once and
skips it on a rerun, adopts a code Procurify already has, opens codes for departments, refuses a mapped
account F0901 lacks naming it, and reports codes with no JDE account without touching JDE.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from jde_procurify_parts import ACCOUNTS, FLOWS, ORPHANS_ASSET, OWN, AccountMap, AccountScope
from jde_procurify_world import jde_procurify_world
from mapping_rows import import_file, own_ledger

from connector_assets.flows.core import Mapped, Rejected
from connector_assets.flows.replays import build_replays
from connector_assets.integrations.jde_procurify.account_codes import (
    ChartAccount,
    CodeDepartments,
    map_chart,
    orphan_codes,
    staged_chart,
)
from connector_assets.jde.accounts import GlAccounts
from connector_resources.replay import replay_items

FLOW = ("jde_procurify/account_codes_mapped", "jde_procurify/account_codes_written")
SCOPE = AccountScope.parse("6000-8999")
GL = GlAccounts(
    [
        {"MCU": "           1", "OBJ": "6110", "SUB": "", "CO": "00001", "PEC": ""},
        {"MCU": "           1", "OBJ": "6000", "SUB": "", "CO": "00001", "PEC": "N"},
        {"MCU": "           1", "OBJ": "6990", "SUB": "", "CO": "00001", "PEC": "I"},
        {"MCU": "         M30", "OBJ": "7110", "SUB": "01000", "CO": "00001", "PEC": ""},
    ]
)


def _csv(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "accounts.csv"
    path.write_text(
        "jde_account,procurify_account_code\n" + "".join(f"{r}\n" for r in rows), encoding="utf-8"
    )
    return path


# -- the table -------------------------------------------------------------------------------------------


def test_table_refuses_a_code_mapped_from_two_accounts_naming_both_lines(tmp_path: Path) -> None:
    with pytest.raises(
        ValueError, match=r"lines 2 and 4: Procurify account code 6100 is mapped from both 1.6110 and 3.6110"
    ):
        ACCOUNTS.read(_csv(tmp_path, "1.6110,6100", "1.6210,6400", "3.6110,6100"))


def test_table_refuses_an_account_mapped_twice_whatever_its_case(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"lines 2 and 3: JDE account M30.7110 is mapped twice"):
        ACCOUNTS.read(_csv(tmp_path, "M30.7110,7001", "m30.7110,7002"))


def test_table_refuses_an_account_that_does_not_read_bu_obj(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"line 2: jde_account 6110: the JDE account must read BU.OBJ"):
        ACCOUNTS.read(_csv(tmp_path, "6110,6100"))


def test_table_refuses_a_code_longer_than_procurify_takes(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"at most 50 characters \(51 given\)"):
        ACCOUNTS.read(_csv(tmp_path, "1.6110," + "X" * 51))


def test_table_keys_are_normalised(tmp_path: Path) -> None:
    assert ACCOUNTS.read(_csv(tmp_path, " m30 .7110. ,7001")) == {"M30.7110": "7001"}


# -- JDE account -> Procurify code ----------------------------------------------------------------------


def test_code_of_a_jde_account_is_the_tables_else_its_own_text_in_scope() -> None:
    table = AccountMap({"1.6110": "6100"}, SCOPE)
    assert table.code_for("1.6110") == "6100"
    assert table.code_for(" m30.7110.01000 ") == "M30.7110.01000"
    assert table.code_for("1.4110") is None  # a liability: out of scope, not mapped
    only_mapped = AccountMap({"1.6110": "6100"}, AccountScope.parse("none"))
    assert only_mapped.code_for("1.6210") is None  # only mapped accounts


def test_scope_by_business_unit_and_single_objects() -> None:
    scope = AccountScope.parse("M30.7000-7999, 8150")
    assert scope.covers("M30.7110.01000") and scope.covers("20.8150")
    assert not scope.covers("30.7110") and not scope.covers("M30.6110")
    assert str(scope) == "M30.7000-7999, 8150"


def test_own_text_is_not_a_code_the_table_gives_another_account() -> None:
    accounts = AccountMap({"1.6110": "20.6110"}, SCOPE)
    assert accounts.code_for("20.6110") is None


@pytest.mark.parametrize("text", ["6000-", "M30.", "60 00-7000", "7000-6000"])
def test_malformed_scope_is_refused_naming_the_setting(text: str) -> None:
    with pytest.raises(ValueError, match="ML_JDE_PROCURIFY_ACCOUNT_SCOPE"):
        AccountScope.parse(text)


def test_default_scope_is_refused_once_jde_is_a_real_instance(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ML_JDE_PROCURIFY_ACCOUNT_SCOPE", raising=False)
    monkeypatch.setenv("ML_JDE_AIS_URL", "https://jde.example.com/jderest")
    with pytest.raises(ValueError, match="ML_JDE_PROCURIFY_ACCOUNT_SCOPE is not set, and JD Edwards"):
        AccountScope.from_settings()
    monkeypatch.setenv("ML_JDE_PROCURIFY_ACCOUNT_SCOPE", "none")
    assert AccountScope.from_settings().ranges == ()


def test_dependency_key_names_the_account_code_record() -> None:
    assert OWN.account_code_dependency(" m30.7110 ") == "jde_procurify:account_code:JDE:M30.7110"


# -- Procurify code -> JDE account ----------------------------------------------------------------------


def test_jde_account_of_a_code() -> None:
    table = AccountMap({"1.6110": "6100", "1.4999": "4999"}, AccountScope(()))
    jde_account = table.jde_account
    assert jde_account("6100", GL) == ("1.6110", None)
    assert jde_account("M30.7110.01000", GL) == ("M30.7110.01000", None)
    assert jde_account("4000-0-0-0", GL) == (None, "account code 4000-0-0-0 not found in F0901")
    assert jde_account("1.6110", GL) == (None, "account code 1.6110 not found in F0901")  # 6100's
    account, problem = jde_account("4999", GL)
    assert account is None
    assert problem == (
        "account code 4999 not found in F0901 (mapped to JDE account 1.4999 in ML_JDE_PROCURIFY_ACCOUNT_MAP)"
    )
    assert jde_account("1.6000", GL) == (
        None,
        "account 1.6000 is not postable in F0901 (posting edit N: a non-posting summary account)",
    )
    assert jde_account("1.6990", GL)[1] == (
        "account 1.6990 is not postable in F0901 (posting edit I: inactive)"
    )


# -- mapping the chart ----------------------------------------------------------------------------------


def _chart(*rows: tuple[str, str, str, str, str, str]) -> dict[str, ChartAccount]:
    entries = [
        ChartAccount.of({"CO": co, "MCU": f"{unit:>12}", "OBJ": obj, "SUB": sub, "DL01": title, "PEC": pec})
        for co, unit, obj, sub, title, pec in rows
    ]
    return {e.account: e for e in entries}


def test_map_chart_sends_mapped_and_scoped_postable_accounts_and_refuses_what_cannot_be() -> None:
    chart = _chart(
        ("00001", "1", "6110", "", "Office Supplies", ""),
        ("00001", "1", "6000", "", "Operating Expenses", "N"),
        ("00001", "1", "6990", "", "Obsolete", "I"),
        ("00001", "3", "6990", "", "Obsolete", "I"),
        ("00001", "1", "4110", "", "Accounts Payable Trade", ""),
        ("00001", "3", "6320", "", "Utilities", ""),
    )
    table = AccountMap({"1.6110": "6100", "1.6000": "6000", "1.4999": "4999"}, SCOPE)
    departments = CodeDepartments(
        "company",
        {"1": ("Head Office", "Finance"), "3": ("Head Office", "Operations")},
        {("Head Office", "Finance"): 4, ("Head Office", "Operations"): 7},
        {"00001": {"1", "3"}},
    )
    out = list(map_chart(chart, table, departments, written=lambda account: account == "3.6990"))
    by_key = {r.source_key: r for r in out}
    assert set(by_key) == {
        "1.4999",
        "1.6000",
        "1.6110",
        "3.6990",
        "3.6320",
    }  # not 1.4110, not unwritten 1.6990
    assert (
        isinstance(by_key["1.4999"], Rejected)
        and "1.4999 is mapped to Procurify account code 4999" in by_key["1.4999"].reason
    )
    assert "not found in F0901" in by_key["1.4999"].reason
    assert isinstance(by_key["1.6000"], Rejected)
    assert by_key["1.6000"].reason.startswith("account 1.6000 is not postable in F0901 (posting edit N")
    office = by_key["1.6110"]
    assert isinstance(office, Mapped)
    assert office.body == {
        "code": "6100",
        "description": "Office Supplies",
        "active": True,
        "departments": [4, 7],
    }
    utilities = by_key["3.6320"]
    assert isinstance(utilities, Mapped) and utilities.body["code"] == "3.6320"
    retired = by_key["3.6990"]
    assert isinstance(retired, Mapped) and retired.body == {
        "code": "3.6990",
        "description": "Obsolete",
        "active": False,
    }


def test_unit_rule_opens_a_code_for_its_own_units_department_only() -> None:
    chart = _chart(("00001", "3", "6320", "", "Utilities", ""))
    departments = CodeDepartments(
        "unit",
        {"1": ("Head Office", "Finance"), "3": ("Head Office", "Ops")},
        {("Head Office", "Finance"): 4},
        {"00001": {"1", "3"}},
    )
    (record,) = map_chart(chart, AccountMap({}, SCOPE), departments, written=lambda _a: False)
    assert isinstance(record, Mapped) and "departments" not in record.body
    assert departments.unplaced == {"Head Office|Ops"}


# -- against the simulators -----------------------------------------------------------------------------


def test_sandbox_table_fits_both_sandboxes(tmp_path: Path) -> None:
    """Every JDE order G/L line gets a Procurify code, and every code on a Procurify bill item leads back to
    a postable F0901 account (the sandbox table with the default scope)."""
    with jde_procurify_world(tmp_path) as world:
        world.master()
        staging = world.resources["staging"]
        _rows, gl = staged_chart(staging)
        accounts = AccountMap(ACCOUNTS.snapshot(staging))
        for account in accounts.forward:
            found = gl.lookup(account)
            assert found is not None and found.posting_edit == "", account
        lines = world.jde_rows("F4311", LNTY="J")
        assert lines
        for line in lines:
            assert accounts.code_for(line["ANI"]) is not None, line["ANI"]
        with world.resources["procurify"].session() as session:  # the full bill carries its items
            bills = [session.get("bills", bill["uuid"]) for bill in world.in_procurify("bills").values()]
        items = [item for bill in bills for item in bill.get("items") or []]
        codes = {_item_code(item) for item in items} - {None}
        assert codes, "the Procurify sandbox's bills carry account codes"
        for code in codes:
            assert accounts.jde_account(code, gl)[1] is None, code


def _item_code(item: dict) -> str | None:
    account = item.get("account") or {}
    code = (account.get("account_code") or {}).get("code") if isinstance(account, dict) else None
    return code or item.get("account_code") or None


def test_codes_are_created_once_adopted_when_present_and_orphans_reported(tmp_path: Path) -> None:
    with jde_procurify_world(tmp_path) as world:
        world.master()
        staging = world.resources["staging"]
        rows, gl = staged_chart(staging)
        accounts = AccountMap(ACCOUNTS.snapshot(staging))
        chart = {ChartAccount.of(r).account: ChartAccount.of(r) for r in rows}
        scoped = sorted(
            a
            for a, e in chart.items()
            if e.posting_edit == "" and a not in accounts.forward and accounts.scope.covers(a)
        )
        assert len(scoped) >= 2
        adopted_account = scoped[0]
        with world.resources["procurify"].session() as session:
            existing = session.create_account_code({"code": adopted_account, "description": "made by hand"})

        first = world.run_whole(*FLOW, ORPHANS_ASSET)
        written = first["jde_procurify/account_codes_written"]
        xrefs = world.xrefs("account_code")
        expected = {
            a
            for a, code in ((a, accounts.code_for(a)) for a in chart)
            if code and chart[a].posting_edit == ""
        }
        assert set(xrefs) == expected
        assert xrefs[adopted_account] == str(existing["id"])
        codes = world.in_procurify("account_codes")
        adopted = codes[str(existing["id"])]
        assert adopted["description"] == chart[adopted_account].title  # brought up to JDE's title
        created_account = scoped[1]
        created = codes[xrefs[created_account]]
        assert created["code"] == created_account and created["active"] is True
        assert world.in_procurify("accounts", account_code=created["id"]), "opened for departments"
        assert written["create"] >= 1 and written["adopt"] >= 2  # the hand-made code and the seeded ones
        assert written["fail"] == 0
        assert world.queue("account_codes") == {}

        # Rerun: nothing changed, nothing sent.
        count = len(codes)
        second = world.run_whole(*FLOW)["jde_procurify/account_codes_written"]
        assert second["skip"] == len(expected) and second["create"] == second["update"] == 0
        assert len(world.in_procurify("account_codes")) == count

        # Codes with no JDE account: reported, named in the finance user's words.
        orphans = first[ORPHANS_ASSET]
        assert orphans["orphan_codes"] > 0
        with world.resources["procurify"].session() as session:
            found = {o.code: o for o in orphan_codes(session, accounts, gl)}
        assert found["1010"].reason == "account code 1010 not found in F0901"
        assert not any(code in found for code in accounts.reverse)
        assert not world.jde_rows("F0901", OBJ="1010")  # nothing invented in JDE


def test_mapped_account_missing_from_f0901_is_refused_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = _csv(tmp_path, "1.6110,6100", "1.6499,6499")
    own_ledger(monkeypatch, tmp_path)  # a deployment whose table is imported from that file
    monkeypatch.setenv("ML_JDE_PROCURIFY_ACCOUNT_MAP", str(table))
    monkeypatch.setenv("ML_JDE_PROCURIFY_ACCOUNT_SCOPE", "none")
    with jde_procurify_world(tmp_path) as world:
        world.master()
        written = world.run_whole(*FLOW)["jde_procurify/account_codes_written"]
        assert world.queue("account_codes") == {
            "1.6499": "JDE account 1.6499 is mapped to Procurify account code 6499 in "
            "ML_JDE_PROCURIFY_ACCOUNT_MAP, but not found in F0901: add the account in JDE or fix the table, "
            "then replay"
        }
        assert set(world.xrefs("account_code")) == {"1.6110"} and written["adopt"] == 1
        codes = {c["code"] for c in world.in_procurify("account_codes").values()}
        assert "6499" not in codes

        # The table now gives the written account another code (the file edited and imported): refused, the
        # code is not renamed.
        import_file(ACCOUNTS, _csv(tmp_path, "1.6110,6150"), note="6150 now", resources=world.resources)
        world.run_whole("jde_procurify/account_map", *FLOW)
        reason = world.queue("account_codes")["1.6110"]
        assert "JDE account 1.6110 was written as Procurify account code 6100 (id " in reason
        assert "ML_JDE_PROCURIFY_ACCOUNT_MAP now maps it to 6150" in reason
        codes = {c["code"] for c in world.in_procurify("account_codes").values()}
        assert "6100" in codes and "6150" not in codes

        # Restoring the row and replaying resolves it: the code is as written, nothing is sent twice.
        import_file(ACCOUNTS, _csv(tmp_path, "1.6110,6100"), note="6100 back", resources=world.resources)
        resources = lambda: {k: world.resources[k] for k in ("procurify", "staging")}  # noqa: E731
        items = world.ledger.open_items(integration="jde_procurify", flow="account_codes")
        [item] = [i for i in items if i.source_key == "1.6110"]
        assert replay_items(
            world.ledger, [item], build_replays([FLOWS["account_codes"]], resources)
        ).already == [item.id]  # as written: resolved, nothing sent
        assert set(world.queue("account_codes")) == {"1.6499"}  # still not in F0901
        assert world.xrefs("account_code")["1.6110"] == reason.split("(id ")[1].split(")")[0]
