"""``ml-connector fit`` and the ``<integration>_fit`` job: the report of a preview, against the JDE and Coupa
simulators on free ports, and no partition of the deployment's instance materialized by it."""

from __future__ import annotations

import csv

import pytest
from asset_runs import busy_day
from click.testing import CliRunner
from dagster import AssetKey, DagsterInstance

from connector_assets.deployment import Deployment
from connector_assets.preview.tally import FIT_COLUMNS
from connector_cli.main import cli


@pytest.fixture
def env(jde_coupa_sandboxes, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("ML_CONNECTOR_DB_URL", f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    monkeypatch.setenv("ML_INTEGRATIONS", "jde_coupa")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()


def test_fit_writes_the_report_and_materializes_nothing(env, tmp_path):
    day = busy_day()
    out = tmp_path / "fit"
    result = CliRunner().invoke(
        cli, ["fit", "--integration", "jde_coupa", "--from", day, "--to", day, "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "ok   suppliers (1 day(s))" in result.output
    assert "nothing was written to any system" in result.output
    with (out / "fit.csv").open(newline="") as rows:
        read = list(csv.DictReader(rows))
    assert tuple(read[0]) == FIT_COLUMNS
    assert {r["flow"] for r in read} == {"suppliers", "purchase_orders", "invoices"}
    assert "create" in {r["verdict"] for r in read}
    # day one: the suppliers the orders and invoices wait for are pulled, each its own row, none waits
    assert {r["flow"] for r in read if r["pull"] == "parent"} == {"suppliers"}
    assert not [r for r in read if r["kind"].startswith("waits_for_record")]
    # every refused, held or ambiguous record carries the kind the run queued it with, and its parameters
    explained = [r for r in read if r["verdict"] in ("refuse", "hold", "ambiguous")]
    assert all(r["kind"] and r["params"].startswith("{") for r in explained)
    md = (out / "fit.md").read_text()
    assert "**Day one**: " in md and " written once the first run has pulled their parents + " in md
    # the console says the report's figures in the report's words
    said = [
        line for line in md.splitlines() if line.startswith(("Previewed ", "**Day one**", "- suppliers ("))
    ]
    assert len(said) == 3 and all(line.replace("**", "") in result.output for line in said)
    assert "suppliers" in md and (out / "fit.html").stat().st_size > 0
    assert "\nRan " in md and " UTC, took " in md
    assert ("## What the refusals and holds mean" in md) == bool(explained)  # said only when any was met
    with DagsterInstance.get() as instance:  # the deployment's instance: no day of any flow touched
        key = AssetKey(["jde_coupa", "suppliers_written"])
        assert instance.get_latest_materialization_event(key) is None


def test_fit_refuses_an_unknown_flow_naming_the_known_ones(env, tmp_path):
    day = busy_day()
    result = CliRunner().invoke(
        cli, ["fit", "--integration", "jde_coupa", "--flow", "vendors", "--from", day, "--to", day]
    )
    assert result.exit_code == 2, result.output
    assert "jde_coupa has no flow vendors; its flows: invoices, purchase_orders, suppliers" in result.output


def test_the_fit_job_shows_the_report_in_its_run(env, tmp_path):
    day = busy_day()
    job = Deployment.of(["jde_coupa"]).definitions.resolve_job_def("jde_coupa_fit")
    with DagsterInstance.get() as instance:
        result = job.execute_in_process(
            run_config={"ops": {"jde_coupa_fit_report": {"config": {"first_day": day, "last_day": day}}}},
            instance=instance,
        )
        assert result.success
        [output] = [e for e in result.all_events if e.is_successful_output]
        report = output.step_output_data.metadata["report"].value
        assert "suppliers" in report and "create" in report
        assert instance.get_latest_materialization_event(AssetKey(["jde_coupa", "suppliers_written"])) is None
