"""Fusion <-> Procurify accounts: the account and department tables, the charge account of a Procurify line
checked against both sides (ChargeAccounts), and the account_codes flow (Fusion natural accounts ->
Procurify account codes) end to end against both sandboxes."""

from datetime import date
from pathlib import Path

import pytest
from fusion_procurify_parts import ACCOUNT_CODES as account_codes_flow
from fusion_procurify_parts import ACCOUNTS, CHARGES, DEPARTMENTS, ORPHANS_ASSET
from fusion_procurify_world import fusion_procurify_world
from mapping_rows import own_ledger, save_rows

from connector_assets.fusion.account_combinations import Combination, combination_row
from connector_assets.integrations.fusion_procurify.account_codes import orphan_codes
from connector_assets.integrations.fusion_procurify.charge_accounts import ChargeAccounts
from connector_assets.procurify.account_departments import department_key
from connector_resources.refusal_actions import action_for, timed
from connector_resources.said import Said

FLOW = "account_codes"
FLOW_ASSETS = (
    "fusion_procurify/account_codes_mapped",
    "fusion_procurify/account_codes_written",
    ORPHANS_ASSET,
)
TODAY = date(2026, 3, 1)


def _csv(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- the tables ------------------------------------------------------------------------------------------


def test_account_table_refuses_rows_naming_the_line(tmp_path: Path) -> None:
    bad_account = _csv(
        tmp_path, "a.csv", "procurify_account_code,fusion_account\n6100,60000\n6200,101-60000\n"
    )
    with pytest.raises(ValueError, match=r"a\.csv line 3: procurify_account_code 6200 .*one segment value"):
        ACCOUNTS.read(bad_account)
    long_code = _csv(tmp_path, "b.csv", f"procurify_account_code,fusion_account\n{'7' * 51},60000\n")
    with pytest.raises(ValueError, match="at most 50 characters"):
        ACCOUNTS.read(long_code)
    twice = _csv(tmp_path, "c.csv", "procurify_account_code,fusion_account\n6100,60000\n6100,61000\n")
    with pytest.raises(ValueError, match="line 3: procurify_account_code 6100 is mapped twice"):
        ACCOUNTS.read(twice)
    many_to_one = _csv(
        tmp_path, "d.csv", "procurify_account_code,fusion_account\n 6100 ,60000\n6110, 60000\n"
    )
    assert ACCOUNTS.read(many_to_one) == {"6100": "60000", "6110": "60000"}


def test_department_table_checks_keys_and_company_cost_center(tmp_path: Path) -> None:
    header = "procurify_department,fusion_company_cost_center\n"
    no_location = _csv(tmp_path, "a.csv", header + "Finance,101-10\n")
    with pytest.raises(ValueError, match="Location name\\|Department name"):
        DEPARTMENTS.read(no_location)
    bad_value = _csv(tmp_path, "b.csv", header + "Head Office|Finance,101/10\n")
    with pytest.raises(ValueError, match="line 2: .*<company>-<cost center>"):
        DEPARTMENTS.read(bad_value)
    good = _csv(
        tmp_path, "c.csv", header + " Head Office | Finance ,101 - 10\nHead Office|*,101-40\n*,101-30\n"
    )
    assert DEPARTMENTS.read(good) == {
        "Head Office|Finance": "101-10",
        "Head Office|*": "101-40",
        "*": "101-30",
    }


def test_the_sandbox_tables_load() -> None:
    accounts, departments = ACCOUNTS.read(), DEPARTMENTS.read()
    assert accounts["6100"] == "60000" and len(accounts) == 264
    assert departments["*"] == "101-30" and departments["München Niederlassung|*"] == "201-30"
    assert [ACCOUNTS.asset, DEPARTMENTS.asset, CHARGES.combinations] == CHARGES.upstream


# -- one charge account ----------------------------------------------------------------------------------


def _combination(text: str, enabled: str = "true", postable: str = "true", end: str = "") -> Combination:
    return Combination.of(
        {
            "combination": text,
            "enabled": enabled,
            "postable": postable,
            "start_date": "2021-01-01",
            "end_date": end,
        }
    )


def _charges(**procurify: object) -> ChargeAccounts:
    combos = [
        _combination("101-30-60000-000"),
        _combination("101-40-60000-000", enabled="false"),
        _combination("101-30-31000-000", postable="false"),
        _combination("101-30-61000-000", end="2025-12-31"),
        _combination("201-30-60000-000", enabled="", postable=""),  # flags the pod did not send
    ]
    return ChargeAccounts(
        {"6100": "60000", "3000": "31000", "6400": "61000", "6500": "60200"},
        {"*": "101-30", "Head Office|*": "101-40", "München Niederlassung|*": "201-30"},
        {c.text: c for c in combos},
        tables=CHARGES,
        intercompany_segment="000",
        **procurify,  # type: ignore[arg-type]
    )


def test_combination_and_each_reason() -> None:
    charges = _charges()
    assert charges.combination("6100", None, on=TODAY) == ("101-30-60000-000", None)
    assert charges.combination("6100", "Seattle Branch|Operations", on=TODAY) == ("101-30-60000-000", None)
    assert charges.combination("6100", "München Niederlassung|Bauleitung", on=TODAY) == (
        "201-30-60000-000",
        None,
    )

    def reason(code: str, department: str | None) -> str:
        combination, why = charges.combination(code, department, on=TODAY)
        assert combination is None and why
        return why

    assert reason("6110", None) == (
        "Procurify account code 6110 has no row in the account map (ML_FUSION_PROCURIFY_ACCOUNT_MAP)"
    )
    assert reason("6100", "Head Office|Finance") == (
        "Fusion account 101-40-60000-000 is disabled (Procurify account code 6100)"
    )
    assert "101-30-31000-000 is not postable" in reason("3000", None)
    assert "101-30-61000-000 is end-dated (2025-12-31)" in reason("6400", None)
    assert reason("6500", None) == (
        "Fusion account 101-30-60200-000 is not in accountCombinationsLOV (Procurify account code 6500)"
    )
    assert reason("", None) == "the line has no Procurify account code"
    no_default = ChargeAccounts(
        {"6100": "60000"}, {"Head Office|*": "101-30"}, {}, tables=CHARGES, intercompany_segment="000"
    )
    assert "Procurify department Lyon Agence|Operations has no row in the department map" in (
        no_default.combination("6100", "Lyon Agence|Operations", on=TODAY)[1] or ""
    )


def test_both_sides_are_checked_where_procurify_is_staged() -> None:
    charges = _charges(
        procurify_codes=[
            {"id": 1, "code": "6100", "active": True},
            {"id": 2, "code": "6400", "active": False},
        ],
        procurify_departments=[{"id": 7, "name": "Finance", "branch": {"id": 1, "name": "Head Office"}}],
    )
    assert (
        charges.combination("6400", None, on=TODAY)[1]
        == "Procurify account code 6400 is inactive in Procurify"
    )
    assert (
        charges.combination("6500", None, on=TODAY)[1]
        == "Procurify account code 6500 is not found in Procurify"
    )
    # Procurify's state, not the line's: a person reactivates the code in Procurify, and the sweep's next
    # replay writes the order once Procurify lists it active (the kind's action says so).
    inactive = charges.combination("6400", None, on=TODAY)[1]
    assert isinstance(inactive, Said)
    assert inactive.refusal.group == "master_missing · Procurify · active account code"
    assert inactive.refusal.params["value"] == "6400" and timed(inactive.refusal)
    assert "make it active" in action_for(inactive.refusal.group)
    assert charges.combination("6100", "Head Office|Nowhere", on=TODAY)[1] == (
        "Procurify department Head Office|Nowhere is not found in Procurify"
    )
    # a department given by its Procurify id is its Location|Department
    assert charges.combination("6100", "7", on=TODAY)[1] == (
        "Fusion account 101-40-60000-000 is disabled (Procurify account code 6100)"
    )
    assert (
        department_key({"id": 7, "name": "Finance", "branch": {"name": "Head Office"}})
        == "Head Office|Finance"
    )


def test_combination_rows_tolerate_missing_flags_and_need_segments() -> None:
    row = combination_row(
        {
            "_CODE_COMBINATION_ID": 5,
            "_SEGMENT1": "101",
            "_SEGMENT2": "10",
            "_SEGMENT3": "60000",
            "_SEGMENT4": "000",
        }
    )
    assert row is not None and row["combination"] == "101-10-60000-000"
    assert row["enabled"] == "" and Combination.of(row).problem(TODAY) is None
    assert combination_row({"_CODE_COMBINATION_ID": 6, "_SEGMENT1": "101"}) is None
    flagged = combination_row(
        {"_SEGMENT1": "1", "_SEGMENT2": "2", "_SEGMENT3": "3", "_SEGMENT4": "4", "EnabledFlag": "N"}
    )
    assert (
        flagged is not None and Combination.of(flagged).problem(TODAY) == "Fusion account 1-2-3-4 is disabled"
    )


def test_orphans_are_codes_without_a_fusion_account() -> None:
    charges = _charges()
    rows = [
        {"id": 1, "code": "6100", "active": True},  # mapped, account open
        {"id": 2, "code": "1010", "active": True},  # no row
        {"id": 3, "code": "6500", "active": True},  # maps to 60200, in no combination
        {"id": 4, "code": "1020", "active": False},  # inactive: not reported
        {"id": 5, "code": "3000", "active": True},  # account closed, not an orphan
    ]
    found = {o.code: o.reason for o in orphan_codes(rows, charges)}
    assert set(found) == {"1010", "6500"}
    assert (
        "no row in the account map" in found["1010"] and "60200, which is in no combination" in found["6500"]
    )


# -- both sandboxes ----------------------------------------------------------------------------------------


def test_every_sandbox_budget_line_has_a_postable_fusion_account(tmp_path: Path) -> None:
    """The sandbox tables fit both sandboxes: every active Procurify budget line (code x department) on
    an active code gets a charge account Fusion's staged combinations take, and all of them exist."""
    with fusion_procurify_world(tmp_path) as world:
        world.master()
        world.run_whole("procurify/account_codes", "procurify/departments")
        charges = CHARGES.load(world.resources["staging"])
        assert len(charges.combinations) > 400
        lines = [a for a in world.in_procurify("accounts").values() if a.get("active") is not False]
        checked = 0
        for line in lines:
            code = line["account_code"]
            if code.get("active") is False:
                continue
            combination, reason = charges.combination(code["code"], department_key(line["department"]))
            assert reason is None, (code["code"], reason)
            assert combination and combination.endswith("-000")
            checked += 1
        assert checked > 50


def test_account_codes_create_once_adopt_refuse_and_replay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = _csv(
        tmp_path,
        "accounts.csv",
        "procurify_account_code,fusion_account\n"
        "6100,60000\n"  # in Procurify already: adopted, described by Fusion
        "FUS-60100,60100\n"  # new: created, opened for the departments it posts for
        "FUS-99999,99999\n"  # an account Fusion does not have: refused
        "FUS-31000,31000\n"  # retained earnings takes no postings: never created
        "3000,31000\n",  # in Procurify and active: switched off
    )
    own_ledger(monkeypatch, tmp_path)  # a fresh deployment: the table is imported from the file on first use
    monkeypatch.setenv("ML_FUSION_PROCURIFY_ACCOUNT_MAP", str(table))
    monkeypatch.setenv("ML_FUSION_PROCURIFY_ACCOUNT_VALUE_SET", "SBX_ACCOUNT")
    with fusion_procurify_world(tmp_path) as world:
        world.master()
        world.run_whole("procurify/account_codes", "procurify/departments")
        before = {r["code"]: r for r in world.in_procurify("account_codes").values()}
        assert before["3000"]["active"] is True and "FUS-60100" not in before

        meta = world.run_whole(*FLOW_ASSETS)
        after = {r["code"]: r for r in world.in_procurify("account_codes").values()}
        xrefs = world.xrefs("account_code")
        assert xrefs["6100"] == str(before["6100"]["id"])  # adopted, not duplicated
        assert after["6100"]["description"] == "Office Supplies"
        assert (
            after["FUS-60100"]["description"] == "Computer Equipment" and after["FUS-60100"]["active"] is True
        )
        assert xrefs["FUS-60100"] == str(after["FUS-60100"]["id"])
        assert after["3000"]["active"] is False and after["3000"]["parent"] == before["3000"]["parent"]
        assert "FUS-31000" not in after and "FUS-31000" not in xrefs
        assert len(after) == len(before) + 1
        opened = [
            a for a in world.in_procurify("accounts").values() if a["account_code"]["code"] == "FUS-60100"
        ]
        assert opened and all(a["department"]["active"] is not False for a in opened)

        queued = world.queue(FLOW)
        assert set(queued) == {"FUS-99999"}
        assert "Fusion account 99999" in queued["FUS-99999"]
        assert "ML_FUSION_PROCURIFY_ACCOUNT_MAP" in queued["FUS-99999"]
        assert meta[ORPHANS_ASSET]["orphan_codes"] > 0  # the Procurify codes the small table leaves out
        orphans = {r["code"] for r in world.resources["staging"].read_rows(ORPHANS_ASSET, None)}
        assert "1010" in orphans and "6100" not in orphans

        # a rerun writes nothing: every code is unchanged since its write
        counts = world.audit_counts(FLOW)
        rerun = world.run_whole(*FLOW_ASSETS)["fusion_procurify/account_codes_written"]
        assert (rerun["skip"], rerun["create"], rerun["update"], rerun["adopt"]) == (3, 0, 0, 0)
        written = ("create", "adopt", "update")
        assert {k: world.audit_counts(FLOW).get(k) for k in written} == {k: counts.get(k) for k in written}
        assert len(world.in_procurify("account_codes")) == len(after)

        # the row fixed, a replay writes the refused code once
        save_rows(ACCOUNTS, {"FUS-99999": "60200"}, note="the account Fusion has", resources=world.resources)
        world.replay_queued(FLOW, account_codes_flow)
        world.replay_queued(FLOW, account_codes_flow)
        assert world.queue(FLOW) == {}
        final = [r for r in world.in_procurify("account_codes").values() if r["code"] == "FUS-99999"]
        assert len(final) == 1 and final[0]["description"] == "Software Licences"
        assert world.xrefs("account_code")["FUS-99999"] == str(final[0]["id"])


def test_without_value_sets_codes_are_named_by_their_account(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The valueSets path is unconfirmed: a pod that answers 404 leaves the codes 'Fusion account <value>'."""
    table = _csv(tmp_path, "accounts.csv", "procurify_account_code,fusion_account\nFUS-65000,65000\n")
    monkeypatch.setenv("ML_FUSION_PROCURIFY_ACCOUNT_MAP", str(table))
    monkeypatch.setenv("ML_FUSION_PROCURIFY_ACCOUNT_VALUE_SET", "SBX_ACCOUNT")
    with fusion_procurify_world(tmp_path) as world:
        world.fusion_behaviour(value_sets=False)
        world.master()
        world.run_whole(*FLOW_ASSETS)
        created = [r for r in world.in_procurify("account_codes").values() if r["code"] == "FUS-65000"]
        assert len(created) == 1 and created[0]["description"] == "Fusion account 65000"


@pytest.mark.parametrize("variable", ["ML_FUSION_URL", "ML_PROCURIFY_URL"])
def test_sandbox_tables_are_refused_once_a_real_instance_is_configured(
    variable: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(variable, "https://acme.example.invalid")
    for table in (ACCOUNTS, DEPARTMENTS):
        with pytest.raises(ValueError, match=f"{table.variable} is not set"):
            table.path()
