"""Procore -> JDE mapping tables and the cost-code resolver: every rule and refusal's wording proven on a
small F0901, the tables staged by their assets, and the sandbox tables resolving every cost code of every
project both sandboxes seed."""

from pathlib import Path

import pytest
from asset_runs import materialized
from dagster import Failure
from mapping_rows import own_ledger, save_unchecked
from procore_jde_accounts import LABEL, M30_ACCOUNTS
from procore_jde_parts import COST_CODES, PROJECTS, TABLES, CostCodeMap, procore_jde_mapping_tables

from connector_assets.flows.mapping_tables import recording_snapshots
from connector_assets.jde.accounts import GlAccounts
from connector_assets.jde.job_accounts import JobAccount
from connector_assets.jde.tables import GL_ACCOUNTS
from connector_assets.procore.cost_code_keys import parent_codes
from connector_assets.runtime.staging import StagingResource
from connector_sandbox.jde_ais.seed import seed as seed_jde
from connector_sandbox.jde_ais.settings import JdeSandboxSettings
from connector_sandbox.jde_ais.store import Store as JdeStore
from connector_sandbox.procore.seed import seed as seed_procore
from connector_sandbox.procore.settings import ProcoreSandboxSettings
from connector_sandbox.procore.store import Store as ProcoreStore

MUNICH = "562949953432102"
F0901 = [
    *M30_ACCOUNTS,
    {"MCU": "         M30", "OBJ": "6990", "SUB": "", "CO": "00001", "PEC": "I"},
    {"MCU": "         M50", "OBJ": "7110", "SUB": "CONC", "CO": "00050", "PEC": ""},
    {"MCU": "          20", "OBJ": "8150", "SUB": "", "CO": "00001", "PEC": ""},
]


def _map(projects=None, codes=None) -> CostCodeMap:
    return CostCodeMap(
        {"*": "M30", MUNICH: "M50"} if projects is None else projects,
        {"03": "{job}.7110.CONC", "03-100": "{job}.7120", f"{MUNICH}/03-100-10": "20.8150"}
        if codes is None
        else codes,
        GlAccounts(F0901),
    )


def test_a_project_takes_its_own_job_business_unit_else_the_default_and_the_units_company():
    assert _map().job(MUNICH, LABEL) == JobAccount("", "M50", "00050")
    assert _map().job("562949953432100", "Sandbox Test Project") == JobAccount("", "M30", "00001")


def test_a_project_with_no_row_or_an_unknown_job_unit_is_refused_naming_it():
    no_default = _map(projects={MUNICH: "M50"})
    assert no_default.job("1", "Harbor") == (
        "project 1 (Harbor) has no job business unit in procore_jde/project_map "
        "(ML_PROCORE_JDE_PROJECT_MAP), and the table has no * row for every other project"
    )
    unknown = _map(projects={"*": "M99"})
    assert unknown.job("1", "Harbor") == (
        "project 1 (Harbor) maps to job business unit M99, not found in F0901 (no account on it: the "
        "business unit does not exist in JDE)"
    )
    # A line's account needs the project's job too, even when its own row names a fixed unit.
    reason = _map(projects={"*": "M99"}, codes={"03": "20.8150"}).account("1", "Harbor", "03")
    assert reason.startswith("cost code 03 on project 1 (Harbor): project 1 (Harbor) maps to job")


def test_override_order_project_row_then_the_code_then_its_parents():
    costs = _map()
    # The project's own row wins over the code's and its parents' rows.
    assert costs.account(MUNICH, LABEL, "03-100-10") == JobAccount("20.8150", "20", "00001")
    # Another project: no own row, no 03-100-10 row -> the parent 03-100 ({job} is that project's unit).
    assert costs.account("7", "Harbor", "03-100-10") == JobAccount("M30.7120", "M30", "00001")
    assert costs.account("7", "Harbor", "03-100") == JobAccount("M30.7120", "M30", "00001")
    # A division row maps every code under it; {job} is each project's own job unit.
    assert costs.account("7", "Harbor", "03-300") == JobAccount("M30.7110.CONC", "M30", "00001")
    assert costs.account(MUNICH, LABEL, "03-300") == JobAccount("M50.7110.CONC", "M50", "00050")
    assert parent_codes("03-100-10") == ["03-100-10", "03-100", "03"]


def test_a_missing_row_names_every_key_looked_for():
    assert _map().account(MUNICH, LABEL, "26-500") == (
        f"cost code 26-500 on project {MUNICH} ({LABEL}) has no row in procore_jde/cost_code_map "
        f"(ML_PROCORE_JDE_COST_CODE_MAP; looked for {MUNICH}/26-500, 26-500, 26), so it has no JDE account"
    )
    assert _map().account(MUNICH, LABEL, " ") == (
        f"a line on project {MUNICH} ({LABEL}) has no cost code, so it has no JDE account"
    )


def test_an_account_jde_does_not_know_or_cannot_post_to_is_refused_in_a_finance_users_words():
    where = f"cost code 03-100 on project {MUNICH} ({LABEL})"
    costs = _map(codes={"03-100": "M30.1310"})
    assert costs.account(MUNICH, LABEL, "03-100") == f"{where} maps to account M30.1310, not found in F0901"
    costs = _map(codes={"03-100": "M30.7000"})
    assert costs.account(MUNICH, LABEL, "03-100") == (
        f"{where} maps to account M30.7000, which is not postable "
        "(posting edit code N: a non-posting summary account)"
    )
    costs = _map(codes={"03-100": "{job}.6990"}, projects={"*": "M30"})
    assert "is not postable (posting edit code I: inactive)" in costs.account(MUNICH, LABEL, "03-100")
    costs = _map(codes={"03-100": "99.7110"})
    assert costs.account(MUNICH, LABEL, "03-100") == (
        f"{where} maps to account 99.7110, whose business unit 99 is not found in F0901 "
        "(no account on it: the business unit does not exist in JDE)"
    )
    # {job} on a job unit lacking the object: the account, not the unit, is missing.
    costs = _map(codes={"03": "{job}.7120"})
    assert costs.account(MUNICH, LABEL, "03") == (
        f"cost code 03 on project {MUNICH} ({LABEL}) maps to account M50.7120, not found in F0901"
    )


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("table", "text", "wrong"),
    [
        (
            PROJECTS,
            "procore_project_id,jde_business_unit\n*,M30\nHarbor,M30\n",
            "line 3: .* project id is its",
        ),
        (PROJECTS, "procore_project_id,jde_business_unit\n1,M 30\n", "1 to 12 letters or digits"),
        (COST_CODES, "procore_cost_code,jde_account\n03-,M30.7110\n", "line 2: .*full code as Procore"),
        (COST_CODES, "procore_cost_code,jde_account\nx/03,M30.7110\n", "<Procore project id>/<cost code>"),
        (COST_CODES, "procore_cost_code,jde_account\n03,M30-7110\n", "must read BU.OBJ, BU.OBJ.SUB"),
        (COST_CODES, "procore_cost_code,jde_account\n03,{jobs}.7110\n", "must read BU.OBJ, BU.OBJ.SUB"),
    ],
)
def test_the_tables_refuse_a_malformed_row_naming_the_line(tmp_path, table, text, wrong):
    with pytest.raises(ValueError, match=wrong):
        table.read(_write(tmp_path / "table.csv", text))


def test_the_cost_code_table_keeps_job_and_capitalises_the_jde_segments(tmp_path):
    text = "procore_cost_code,jde_account\n03,{JOB}.7110.conc\n1/03-100,m30.7120.\n"
    assert COST_CODES.read(_write(tmp_path / "codes.csv", text)) == {
        "03": "{job}.7110.CONC",
        "1/03-100": "M30.7120",
    }


def test_the_sandbox_tables_are_refused_once_jde_or_procore_is_real(monkeypatch):
    monkeypatch.delenv("ML_PROCORE_JDE_COST_CODE_MAP", raising=False)
    monkeypatch.setenv("ML_PROCORE_URL", "https://api.procore.com")
    with pytest.raises(ValueError, match="ML_PROCORE_JDE_COST_CODE_MAP is not set, and Procore"):
        COST_CODES.read()


def _staging_with_f0901(base: Path, rows: list[dict]) -> StagingResource:
    staging = StagingResource(base_dir=str(base))
    writer = staging.writer(GL_ACCOUNTS.asset, None, GL_ACCOUNTS.columns)
    for row in rows:
        writer.write({c.name: row.get(c.name) for c in GL_ACCOUNTS.columns if c.kind == "str"})
    writer.commit()
    return staging


def test_the_assets_stage_the_tables_and_a_run_maps_with_the_snapshot_it_names(tmp_path, monkeypatch):
    own_ledger(monkeypatch, tmp_path)  # a fresh deployment: the files below are imported on first use
    projects = _write(tmp_path / "projects.csv", "procore_project_id,jde_business_unit\n*,M30\n")
    codes = _write(tmp_path / "codes.csv", "procore_cost_code,jde_account\n03,{job}.7110.CONC\n")
    monkeypatch.setenv("ML_PROCORE_JDE_PROJECT_MAP", str(projects))
    monkeypatch.setenv("ML_PROCORE_JDE_COST_CODE_MAP", str(codes))
    staging = _staging_with_f0901(tmp_path / "staging", F0901)
    with pytest.raises(Failure, match="materialize procore_jde/project_map"):
        CostCodeMap.load(staging)
    meta = materialized(procore_jde_mapping_tables, {"staging": staging})
    assert meta["procore_jde/project_map"]["rows"].value == 1
    assert meta["procore_jde/cost_code_map"]["rows"].value == 1
    # An operator changes the table after staging: the next run maps with what was saved (the staged
    # snapshot is restaged from the ledger's version), and says which.
    save_unchecked(COST_CODES, {"03": "{job}.7120"}, note="concrete on 7120")  # no JDE to check against
    with recording_snapshots() as used:
        costs = CostCodeMap.load(staging)
    printed = meta["procore_jde/cost_code_map"]["fingerprint"].value
    assert used["procore_jde/cost_code_map"] == {costs.fingerprints["procore_jde/cost_code_map"]} != {printed}
    assert costs.account("1", "Harbor", "03-100") == JobAccount("M30.7120", "M30", "00001")
    # A replay stages today's table first.
    assert CostCodeMap.today(staging).account("1", "Harbor", "03-100") == JobAccount(
        "M30.7120", "M30", "00001"
    )


@pytest.fixture(scope="module")
def sandboxes() -> tuple[ProcoreStore, JdeStore]:
    """Both sandboxes' seeded data at the small test scale, straight from their generators."""
    procore, jde = ProcoreStore(), JdeStore()
    seed_procore(procore, ProcoreSandboxSettings(scale=0.05))
    seed_jde(jde, JdeSandboxSettings(scale=0.05))
    yield procore, jde
    procore.close()
    jde.close()


def test_the_sandbox_tables_map_every_seeded_cost_code_of_every_project(tmp_path, monkeypatch, sandboxes):
    monkeypatch.delenv("ML_PROCORE_JDE_PROJECT_MAP", raising=False)
    monkeypatch.delenv("ML_PROCORE_JDE_COST_CODE_MAP", raising=False)
    own_ledger(monkeypatch, tmp_path)  # a fresh deployment: the sandbox tables are imported on first use
    procore, jde = sandboxes
    staging = _staging_with_f0901(tmp_path, jde.fetch_dicts('SELECT * FROM "F0901"'))
    for table in TABLES:
        table.stage(staging)  # what the tables' assets do (materialized above), without a Dagster run
    costs = CostCodeMap.load(staging)
    projects = procore.all("SELECT id, name FROM projects")
    assert len(projects) >= 4
    landed, units = set(), set()
    for project in projects:
        job = costs.job(str(project["id"]), project["name"])
        assert isinstance(job, JobAccount), job
        units.add(job.business_unit)
        codes = procore.all("SELECT full_code FROM cost_codes WHERE project_id = ?", (project["id"],))
        assert len(codes) == 40  # 12 divisions and their 28 codes
        for row in codes:
            found = costs.account(str(project["id"]), project["name"], row["full_code"])
            assert isinstance(found, JobAccount), found
            landed.add(found.account)
    # The German project is written to the German job unit; the rest to M30 (scale 0.05 has no 北京 one).
    assert units == {"M30", "M50"}
    assert "20.8150" in landed and "M50.7110.CONC" in landed
