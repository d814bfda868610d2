"""The lists kept beside the code in the README, docs/, mappings/README.md, bench/ and the command line's
help name what the code declares: every integration, its page, asset group and package, every job,
schedule or sensor a page names, every command, pairing, mapping table, alert setting, JDE orchestration,
simulator, SaaS entity and benchmark profile, no more and no fewer.

Why: the code is the truth (the integration packages Dagster's loader finds and what they declare, the
``ml-connector`` group's commands, the simulators' registry, the SaaS clients); a list written beside it
goes stale with no test failing, and the operator who reads it is misled. Where a list can be made from
the code it is (docs/operations.md's pairings, as docs/configuration.md's settings; bench/backfill.py's
profiles and bench/desk_queue.py's flows); where it carries words of its own (what an integration moves,
what a command does), this checks its names and fails saying what to add or remove, and where. Each test
reads files and declarations only: nothing is started.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import click
from roots import ROOT

from connector_assets.deployment import integration_components
from connector_cli.main import cli
from connector_cli.xref import pairings_table, xref
from connector_sandbox.registry import SANDBOXES

README = ROOT / "README.md"
DOCS = ROOT / "docs"
TICKED = re.compile(r"`([^`]+)`")


def _integrations() -> list[str]:
    return [component.name for component in integration_components()]


def _section(path: Path, title: str) -> str:
    """The text under the heading ``title`` (its start, backticks ignored) up to the next heading of the
    same or a higher level."""
    text = path.read_text(encoding="utf-8")
    heading = re.compile(r"^(#+) (.+)$", re.M)
    found = [m for m in heading.finditer(text) if m.group(2).replace("`", "").startswith(title)]
    assert found, f"{path.relative_to(ROOT)} has no heading {title!r}"
    start = found[0]
    level = len(start.group(1))
    after = [m for m in heading.finditer(text, start.end()) if len(m.group(1)) <= level]
    return text[start.end() : after[0].start() if after else len(text)]


def _table(text: str, header: str) -> list[list[str]]:
    """The rows (cells stripped) of the markdown table in ``text`` whose header row starts with ``header``."""
    lines = text.splitlines()
    starts = [n for n, line in enumerate(lines) if line.startswith("|") and header in line.split("|")[1]]
    assert starts, f"no table headed {header!r}"
    rows = []
    for line in lines[starts[0] + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def _bench(name: str) -> ModuleType:
    """A bench/ script imported as a module (nothing runs: each keeps its work under ``__main__``)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _differs(what: str, listed: list[str], declared: list[str], fix: str) -> str:
    missing = sorted(set(declared) - set(listed))
    extra = sorted(set(listed) - set(declared))
    twice = sorted({name for name in listed if listed.count(name) > 1})
    return f"{what}: missing {missing}, not declared {extra}, listed twice {twice}; {fix}"


# ------------------------------------------------------------------------------------- integrations


def test_the_readme_has_one_row_per_integration_linking_its_page():
    rows = _table(_section(README, "The integrations at a glance"), " integration (Dagster group) ")
    listed = [TICKED.findall(row[0])[-1] for row in rows]
    declared = _integrations()
    assert sorted(listed) == sorted(declared), _differs(
        "README.md 'The integrations at a glance'",
        listed,
        declared,
        "add a row for each integration package under connector_assets/integrations/ (its group, what "
        "moves, its page), remove the rows of packages that are gone",
    )
    for name, row in zip(listed, rows, strict=True):
        assert f"(docs/integrations/{name}.md)" in row[-1], (
            f"README.md: the row of {name} links no page of its own"
        )


def test_every_integration_has_its_page_and_every_page_an_integration():
    pages = sorted(path.stem for path in (DOCS / "integrations").glob("*.md"))
    assert pages == sorted(_integrations()), _differs(
        "docs/integrations/",
        pages,
        _integrations(),
        "each integration has docs/integrations/<name>.md (what moves, its flows, tables, refusals, tests, "
        "figures); a page whose package is gone goes too",
    )


def test_the_readme_names_every_integrations_asset_group():
    """The README's "Assets today" paragraph says which Dagster group each integration's assets are in."""
    text = README.read_text(encoding="utf-8")
    paragraph = text[text.index("Assets today:") :].split("\n\n")[0]
    groups = re.findall(r"groups? `([a-z_]+)`(?:, `([a-z_]+)`)?", paragraph)
    named = {name for pair in groups for name in pair if name}
    unnamed = sorted(set(_integrations()) - named)
    assert not unnamed, f"README.md 'Assets today' names no group for {unnamed}: add '(group `NAME`)'"


def test_the_layout_names_every_package_of_connector_assets_and_every_integration():
    """docs/development.md's Layout gives each package its own line (``  jde/  ...``); a new one gets its
    line with what it holds."""
    layout = _section(DOCS / "development.md", "Layout")
    lined = set(re.findall(r"^ +([\w.]+)/ ", layout, re.M))
    packages = [
        path.relative_to(ROOT).as_posix()
        for folder in (ROOT / "connector_assets", ROOT / "connector_assets" / "integrations")
        for path in sorted(folder.iterdir())
        if (path / "__init__.py").is_file()
    ]
    unlined = [package for package in packages if package.rpartition("/")[2] not in lined]
    assert not unlined, (
        f"docs/development.md 'Layout' has no line for {unlined}: add one under connector_assets/ saying "
        "what the package holds"
    )


def test_every_job_schedule_sensor_or_flow_the_docs_name_exists():
    """A name in backticks that starts with an integration's (`jde_coupa_sync`, `procore_jde_inbox_sensor`,
    `coupa_jde_invoices`) or that a page calls a job, schedule or sensor (sensor `alert_on_run_failure`)
    is one of the Definitions (or a flow); the old flat asset keys of the section on upgrading to two-part
    keys are the one place such a name is history."""
    from connector_assets.definitions import defs

    repository = defs.get_repository_def()
    declared = (
        {job.name for job in repository.get_all_jobs()}
        | {schedule.name for schedule in repository.schedule_defs}
        | {sensor.name for sensor in repository.sensor_defs}
        | {spec.flow for component in integration_components() for spec in component.specs}
    )
    integrations = "|".join(_integrations())
    named = re.compile(
        rf"`((?:{integrations})_[a-z_]+)`"
        r"|\b(?:[Ss]ensors?|[Jj]obs?|[Ss]chedules?) `([a-z_]+)`"
        r"|`([a-z_]+)` (?:sensor|job|schedule)s?\b"
    )
    history = _section(DOCS / "operations.md", "Upgrading to two-part asset keys")
    unknown = sorted(
        f"{page.relative_to(ROOT)}: {name}"
        for page in [README, *sorted(DOCS.rglob("*.md"))]
        for found in named.findall(page.read_text(encoding="utf-8").replace(history, ""))
        for name in {"".join(found)}
        if name not in declared
    )
    assert not unknown, "no job, schedule, sensor or flow of that name (renamed? gone?):\n" + "\n".join(
        unknown
    )


# ------------------------------------------------------------------------------------ the command line


def _commands() -> list[str]:
    return sorted(cli.commands)


def test_the_readme_names_every_command():
    text = README.read_text(encoding="utf-8")
    [row] = re.findall(r"^\| CLI `ml-connector ([^`]+)`", text, re.M)
    listed = [name.strip() for name in row.split(" / ")]
    assert sorted(listed) == _commands(), _differs(
        "README.md 'What is built so far', the CLI row",
        listed,
        _commands(),
        "name each command of `ml-connector --help` there",
    )


def test_the_operations_page_has_a_row_for_every_command():
    rows = _table(_section(DOCS / "operations.md", "The ml-connector command"), " command ")
    named: list[str] = []
    for row in rows:
        [usage] = TICKED.findall(row[0])[:1]
        head = usage.split()
        assert head[0] == "ml-connector" and head[1] in cli.commands, (
            f"docs/operations.md: the row `{usage}` names no command of ml-connector"
        )
        # `abandon ... / reopen ...`: a part after " / " may be another command (else a subcommand).
        named += [
            head[1],
            *(part.split()[0] for part in usage.split(" / ")[1:] if part.split()[0] in cli.commands),
        ]
    assert sorted(set(named)) == _commands(), _differs(
        "docs/operations.md 'The ml-connector command'",
        sorted(set(named)),
        _commands(),
        "give each command of `ml-connector --help` a row (its usage, what it does)",
    )


def _pairing_integrations() -> list[str]:
    return [pairing.integration for component in integration_components() for pairing in component.pairings]


def test_the_xref_help_names_the_integrations_that_pair_by_hand():
    [option] = [
        p for p in xref.commands["set"].params if isinstance(p, click.Option) and p.name == "integration"
    ]
    help_text = option.help or ""
    named = re.findall(r"\b[a-z]+_[a-z_]+\b", help_text)
    declared = sorted(set(_pairing_integrations()))
    assert sorted(named) == declared, _differs(
        "ml-connector xref --integration's help (connector_cli/xref.py)",
        named,
        declared,
        "name the integrations whose package declares PAIRINGS (manual_pairs.py)",
    )


def test_the_operations_pairings_table_is_the_generated_one():
    page = (DOCS / "operations.md").read_text(encoding="utf-8")
    assert pairings_table() in page, (
        "docs/operations.md's table of pairings (Matching records by hand) is stale: paste "
        "connector_cli.xref.pairings_table() over it (the page says how)"
    )


# ---------------------------------------------------------------------------------------- mapping tables


def test_the_mappings_readme_describes_every_mapping_table():
    """mappings/README.md's three tables (what a row is checked against, where a table is first imported
    from, each file's variable and columns) name every mapping table the integrations declare
    (``Deployment.tables``) with its variable, sandbox file and columns."""
    from connector_assets.deployment import Deployment

    declared = Deployment(integration_components()).tables
    text = (ROOT / "mappings" / "README.md").read_text(encoding="utf-8")
    fix = "each table of Deployment.tables (a package's MappingTable) has its rows in mappings/README.md"
    checked = [TICKED.findall(row[0])[0] for row in _table(text, " table ")]
    assert sorted(checked) == sorted(declared), _differs(
        "mappings/README.md, checked against", checked, list(declared), fix
    )
    imported = {TICKED.findall(row[0])[0]: row[1] for row in _table(text, " table (asset) ")}
    assert sorted(imported) == sorted(declared), _differs(
        "mappings/README.md, imported from", list(imported), list(declared), fix
    )
    files = _table(text, " file ")
    for name, table in declared.items():
        from_where = TICKED.findall(imported[name])
        assert from_where[0] == table.variable, (
            f"mappings/README.md: {name} is imported from {table.variable}"
        )
        if table.sandbox_file:
            assert f"sandbox/{table.sandbox_file}" in from_where, f"mappings/README.md: {name}'s sandbox file"
        rows = [row for row in files if row[1] == f"`{table.variable}`"]
        assert rows, f"mappings/README.md's files table has no row for {table.variable} ({name})"
        assert all(TICKED.findall(row[2]) == [table.key, table.value] for row in rows), (
            f"mappings/README.md: {table.variable}'s columns are {table.key}, {table.value}"
        )


def test_the_alerts_settings_table_lists_each_alert_setting_with_its_default():
    """docs/alerts.md repeats, beside the alerts, the settings table's rows for them: each a declared
    setting with the default docs/configuration.md gives, and every ``ML_ALERT_*`` setting there."""
    from connector_resources import settings

    rows = _table(_section(DOCS / "alerts.md", "Settings"), " variable ")
    listed = [TICKED.findall(row[0])[0] for row in rows]
    for name, row in zip(listed, rows, strict=True):
        setting = settings.registered(name)
        shown = f"`{setting.default}`" if setting.default else "(blank)"
        assert row[1] == shown, f"docs/alerts.md: {name}'s default is {shown}, not {row[1]}"
    alerting = [s.env for s in settings.all_settings() if s.env.startswith("ML_ALERT_")]
    unlisted = sorted(set(alerting) - set(listed))
    assert not unlisted, f"docs/alerts.md 'Settings' lacks {unlisted} (its default, its meaning)"


def test_the_orchestrations_readme_lists_each_orchestration_the_flows_run_with_its_contract():
    """docs/jde_orchestrations/README.md's table, the contracts beside it (one JSON file each) and the
    orchestrations the flows declare they run in JDE (``FlowSpec.writes``) are the same set."""
    folder = DOCS / "jde_orchestrations"
    listed = [
        TICKED.findall(row[0])[0]
        for row in _table(folder.joinpath("README.md").read_text(), " Orchestration ")
    ]
    contracts = sorted(path.stem for path in folder.glob("ML_*.json"))
    run = sorted(
        {name for c in integration_components() for spec in c.specs for name in spec.writes.get("JDE", ())}
    )
    assert sorted(listed) == contracts == run, (
        f"docs/jde_orchestrations: the README's table {sorted(listed)}, the contracts {contracts} and the "
        f"orchestrations the flows run {run} differ: each orchestration a flow runs has its row and its "
        "<name>.json for JDE's administrators"
    )


# ------------------------------------------------------------------------------------------ simulators


def test_the_sandbox_table_names_every_simulator_with_its_port_address_and_readme(monkeypatch):
    monkeypatch.delenv("ML_SANDBOX_PORT_BASE", raising=False)  # the default ports the table shows
    rows = _table(_section(DOCS / "development.md", "Sandboxes"), " system ")
    by_key = {}
    for row in rows:
        [readme] = re.findall(r"connector_sandbox/(\w+)/README\.md", row[3])[:1]
        by_key[readme] = row
    assert sorted(by_key) == sorted(spec.key for spec in SANDBOXES.values()), _differs(
        "docs/development.md 'Sandboxes' table",
        list(by_key),
        [spec.key for spec in SANDBOXES.values()],
        "one row per simulator of connector_sandbox/registry.py (SANDBOXES)",
    )
    for spec in SANDBOXES.values():
        row = by_key[spec.key]
        assert row[1] == str(spec.port), (
            f"docs/development.md: {spec.key} listens on {spec.port}, not {row[1]}"
        )
        assert row[2] == f"`{spec.root()}{spec.path}`", (
            f"docs/development.md: {spec.key}'s base URL is {spec.root()}{spec.path}, not {row[2]}"
        )
        assert (ROOT / "connector_sandbox" / spec.key / "README.md").is_file()


def test_the_readme_links_every_simulators_readme():
    text = README.read_text(encoding="utf-8")
    linked = re.findall(r"\]\(connector_sandbox/(\w+)/README\.md\)", text)
    assert sorted(linked) == sorted(SANDBOXES), _differs(
        "README.md, the simulators' own READMEs", linked, list(SANDBOXES), "link each one (Where to go next)"
    )


def test_the_sources_table_names_every_entity_each_saas_client_reads():
    """docs/sources.md's table of SaaS clients: a row per client of ``saas.assets.CLIENTS``, naming each
    entity its session reads by day (``ENTITIES``) or whole (``SNAPSHOT_ENTITIES``), in words or as named."""
    from connector_assets.saas.assets import CLIENTS

    rows = _table(_section(DOCS / "sources.md", "SaaS clients"), " system ")
    titles = {key: title for key, (_, _, title, _) in CLIENTS.items()}
    by_title = {title: [row for row in rows if row[0].startswith(title)] for title in titles.values()}
    assert all(len(found) == 1 for found in by_title.values()) and len(rows) == len(titles), (
        f"docs/sources.md 'SaaS clients': one row per client of connector_assets/saas/assets.py CLIENTS "
        f"({', '.join(titles.values())}), found {[row[0] for row in rows]}"
    )
    for key, (_, session, title, _) in CLIENTS.items():
        cell = by_title[title][0][2].replace("_", " ")
        read = [*session.ENTITIES, *session.SNAPSHOT_ENTITIES]
        unnamed = [name for name in read if name.replace("_", " ") not in cell]
        assert not unnamed, (
            f"docs/sources.md: the {title} row does not name {unnamed}, which {key}'s client reads"
        )


# --------------------------------------------------------------------------------------------- bench/


def test_each_backfill_profile_is_an_integration():
    profiles = _bench("backfill").PROFILES
    assert profiles, "bench/backfill_profiles/ holds no profile"
    unknown = sorted(set(profiles) - set(_integrations()))
    assert not unknown, f"bench/backfill_profiles/{unknown[0]}.py is named after no integration"
    shown = set(re.findall(r"--profile ([a-z_]+)", _bench("backfill").__doc__ or ""))
    assert shown == set(profiles), f"bench/backfill.py's docstring: give a command for each of {profiles}"


def test_the_capacity_model_models_integrations_measured_by_a_profile():
    model, profiles = _bench("capacity_model"), _bench("backfill").PROFILES
    for name, integration in model.INTEGRATIONS.items():
        assert name == integration.name and name in _integrations(), (
            f"bench/capacity_model.py: {name} is no integration"
        )
        measured = re.match(r"bench/backfill\.py --profile (\w+)", integration.measured_by)
        assert measured and measured.group(1) in profiles, (
            f"bench/capacity_model.py: {name} is measured by {integration.measured_by!r}, no backfill profile"
        )
    for _, names, _ in model.SCENARIOS:
        assert set(names) <= set(model.INTEGRATIONS), f"bench/capacity_model.py: a scenario models {names}"
