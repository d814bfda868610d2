"""``audit``, ``replay`` and ``ping``: looking at and acting on what the connector did."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import click

from connector_cli.audit_groups import checked_system, grouped, system_by_xref
from connector_cli.queue_listing import Outlived, checked_scope, item_line, summary_lines
from connector_cli.replayed_days import day_check_lines
from connector_resources import settings
from connector_resources.ledger import AuditEvent, Ledger, QueueItem, QueueOverview, Xref, ledger_url
from connector_resources.refusals import group_title
from connector_resources.replay import audit_run

if TYPE_CHECKING:
    from connector_assets.deployment import Deployment
    from connector_assets.flows.replays import Replays
    from connector_resources.ping import PingResult


def _ledger() -> Ledger:
    return Ledger(ledger_url())


@click.command()
@click.argument("record_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines instead of a table.")
@click.option(
    "--system",
    default=None,
    help="Only the record this id names in this system (e.g. JDE); an unknown system is refused naming the "
    "known ones.",
)
def audit(record_id: str, as_json: bool, system: str | None) -> None:
    """The whole history of one record, by its source key or target ID (and its retry-queue items), grouped
    by the system the id names a record in (ids repeat across systems)."""
    ledger = _ledger()
    every_xref = ledger.xrefs_for(record_id)
    groups = grouped(record_id, every_xref, ledger.history(record_id))
    queued = ledger.queue_for(record_id)
    elsewhere: list[str] = []  # the systems the id names a record in, when --system names another
    if system is not None:
        systems = {q.id: system_by_xref(record_id, q, every_xref) for q in queued}
        elsewhere = sorted({*groups, *systems.values()}, key=str.casefold)
        system = checked_system(system, elsewhere)
        groups = {name: rows for name, rows in groups.items() if name == system}
        queued = [q for q in queued if systems[q.id] == system]
    xrefs = [x for rows, _ in groups.values() for x in rows]
    events = [e for _, rows in groups.values() for e in rows]
    if not xrefs and not events and not queued:
        where = f" in {system}" if system else ""
        found = f"; recorded in {', '.join(elsewhere)}" if elsewhere else ""
        raise click.ClickException(
            f"nothing recorded for {record_id!r}{where} (neither a source key nor a target ID){found}"
        )
    if as_json:
        for xref in xrefs:
            click.echo(json.dumps({"xref": _plain(xref)}, default=str))
        for event in events:
            click.echo(json.dumps({"event": _plain(event)}, default=str))
        for item in queued:
            click.echo(json.dumps({"queue": _plain(item)}, default=str))
        return
    for name, (group_xrefs, group_events) in groups.items():
        if len(groups) > 1:
            click.echo(f"== {name} {record_id}")
        for x in group_xrefs:
            manual = " (manual match)" if x.manual else ""
            click.echo(
                f"xref {x.integration}/{x.entity}: {x.source_system} {x.source_key} -> "
                f"{x.target_system} {x.target_id or '(not yet created)'} [{x.state}]{manual}"
            )
        for e in group_events:
            click.echo(
                f"{e.at:%Y-%m-%d %H:%M:%S}Z {e.action:<7} {e.integration}/{e.flow} "
                f"{e.source_id or '-'} -> {e.target_id or '-'} run={audit_run(e.run_id, e.detail)} "
                f"partition={e.partition_key or '-'}: {e.reason}"
            )
    if queued and len(groups) > 1:
        click.echo(f"== retry queue {record_id}")
    for q in queued:
        waits = f" on {q.depends_on}" if q.status == "held" else ""
        when = (
            f" next={q.next_attempt_at:%Y-%m-%d %H:%M:%S}Z"
            if q.status == "failed" and q.next_attempt_at
            else ""
        )
        kind = f" {group_title(q.kind)}:" if q.kind else ""
        click.echo(
            f"queue #{q.id} {q.integration}/{q.flow} {q.source_key} [{q.status}{waits}] "
            f"attempts={q.attempts}{when}:{kind} {q.reason}"
        )


def _plain(record: Xref | AuditEvent | QueueItem) -> dict[str, Any]:
    """The ledger's record as JSON's fields."""
    from dataclasses import asdict

    return asdict(record)


@click.command()
@click.option("--integration", default=None, help="Only this integration (e.g. jde_coupa).")
@click.option("--flow", default=None, help="Only this flow (e.g. suppliers).")
@click.option("--id", "ids", type=int, multiple=True, help="Only these retry-queue item IDs.")
@click.option(
    "--due", is_flag=True, help="Only items whose next attempt time has come (what the schedule does)."
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="List the open records by kind, those needing a person apart from those that clear by themselves, "
    "and what a replay would attempt; change nothing.",
)
@click.option("--top", default=10, show_default=True, help="How many of the most waited-for records to list.")
@click.option("--all", "every", is_flag=True, help="List every record, not counts by flow and kind.")
def replay(
    integration: str | None,
    flow: str | None,
    ids: tuple[int, ...],
    due: bool,
    dry_run: bool,
    top: int,
    every: bool,
) -> None:
    """Re-attempt failed retry-queue records now, with today's mappings and credentials.

    Held records (waiting for a supplier or other dependency) are released when that dependency syncs;
    a held record whose dependency has already synced is released here first and replayed with the rest,
    and one whose dependency will never be written (exported elsewhere, refused for good, abandoned) is
    refused here with why (``--dry-run`` lists them).
    Every run prints the queue: due, failed and not yet due, held (by what they wait for), and the records
    by kind in two views: those that need a person (with what to do) and those that clear by themselves
    (with when). A record that already succeeded is never written again: each flow's handler checks the
    cross-reference first.
    """
    from connector_resources.exception_causes import exception_causes, holding
    from connector_resources.held_parents import held_on_gone
    from connector_resources.replay import release_synced, replay_items
    from connector_resources.replay_report import queue_report

    replays = deployment_replays()
    checked_scope(integration, flow, replays.flows())
    ledger = _ledger()
    before = ledger.queue_overview(integration=integration, flow=flow)
    causes = [c for c in exception_causes(ledger) if c.touches(integration, flow)] if dry_run else []
    if ids:
        causes = holding(causes, ids)
    if dry_run:  # with the holds whose parent cannot come, and those counted in an exception
        gone = held_on_gone(ledger, integration=integration, flow=flow, checks=replays.parents)
        mine = [
            i
            for c in causes
            for i in c.waiting
            if integration in (None, i.integration) and flow in (None, i.flow)
        ]
        under = len({i.id for i in mine})
        report = queue_report(before, top=top, gone=gone, outside=replays.outside, under_exceptions=under)
        for line in report:
            click.echo(line)
    else:
        released = release_synced(ledger, replays, integration=integration, flow=flow)
        if released:
            click.echo(f"released {len(released)} held record(s) whose dependency had already synced")
    if due:
        items = ledger.due(integration=integration, flow=flow, limit=10_000)
    else:
        items = ledger.open_items(integration=integration, flow=flow, status="failed", limit=10_000)
    if ids:
        items = [item for item in items if item.id in set(ids)]

    def handled(item: QueueItem) -> bool:
        return replays.handler_for(item.integration, item.flow) is not None

    # A dry run lists every open record (held ones too) in its view; a replay the records it attempts.
    listed = ledger.open_items(integration=integration, flow=flow, limit=10_000) if dry_run else items
    if ids:
        listed = [item for item in listed if item.id in set(ids)]
    outlived = _outlived(ledger, listed)
    if every:
        chosen = [item_line(item, handled(item), outlived) for item in listed]
    else:
        chosen = summary_lines(listed, handled, outlived, causes)
    for line in chosen:
        click.echo(line)
    if dry_run:
        if items:
            click.echo(f"a replay now would attempt {len(items)} failed record(s)")
        if before.held_on_synced and not ids:
            click.echo(
                f"a replay would first release {before.held_on_synced} held record(s) whose dependency "
                "has already synced, and replay them too"
            )
        if not items and not before.held_on_synced:
            click.echo(_nothing_chosen(before))
        return
    if not items:
        click.echo(_nothing_chosen(before))
        failed = False
    else:
        summary = replay_items(ledger, items, replays, ended=_dagster_runs_ended())
        click.echo(summary.line())
        for line in summary.failure_lines():
            click.echo(line)
        for line in day_check_lines(summary.days):
            click.echo(line)
        failed = bool(summary.failed)
    after = ledger.queue_overview(integration=integration, flow=flow)
    for line in queue_report(after, top=top, outside=replays.outside):
        click.echo(line)
    if failed:
        raise SystemExit(1)


def deployment_replays() -> Replays:
    """What this process replays with: the handlers and sweep checks of the deployment's flows
    (``Deployment.replays``), built on today's settings; nothing is registered by importing a module."""
    from connector_assets.deployment import Deployment

    return Deployment.of().replays()


def _outlived(ledger: Ledger, items: Iterable[QueueItem]) -> Outlived:
    """What tells the listing's waits that outlived what they wait for: the dependencies among ``items``
    that have synced, ``ML_HELD_ALERT_HOURS``, and the records they wait on that need a person."""
    from connector_assets.flows.written_check import held_alert_hours

    return Outlived.read(ledger, items, after=timedelta(hours=held_alert_hours()))


def _nothing_chosen(overview: QueueOverview) -> str:
    """Why no record was chosen, never a bare "nothing" while records wait in the queue."""
    if not (overview.due or overview.not_yet_due or overview.held):
        return "nothing to replay: the retry queue is empty"
    return (
        f"no record chosen to replay now ({overview.held} held until what they wait for syncs, "
        f"{overview.not_yet_due} failed and not yet due)"
    )


@click.command()
@click.option(
    "--system",
    "systems",
    multiple=True,
    help="Only these checks (default: the ledger, the vault and each system the integrations reach).",
)
@click.option(
    "--integration",
    "integrations",
    multiple=True,
    help="Only the systems this integration reaches and what its flows need of them, with the ledger and "
    "the vault (repeatable; default: the integrations ML_INTEGRATIONS names, every one unless set).",
)
def ping(systems: tuple[str, ...], integrations: tuple[str, ...]) -> None:
    """Check that the ledger, the vault and every system the chosen integrations reach answer, accept our
    credentials and serve every table, entity and orchestration their flows read or write (named with the
    flows needing it)."""
    deployment = _chosen_integrations(integrations)
    if not integrations and _every_integration_against_real_systems():
        click.echo(
            "ML_INTEGRATIONS is not set, so every integration's systems are checked; set it to the "
            "integrations this deployment runs (e.g. jde_coupa,coupa_jde), or use --integration",
            err=True,
        )
    try:
        results = deployment_pings(deployment, systems)
    except (PingUnavailable, KeyError) as exc:
        raise click.ClickException(str(exc.args[0])) from None
    for r in results:
        click.echo(f"{'ok  ' if r.ok else 'FAIL'} {r.name:<10} {r.seconds:>6.2f}s  {r.detail}")
    if not all(r.ok for r in results):
        raise SystemExit(1)


class PingUnavailable(Exception):
    """The flows could not be loaded to learn what ping must check (said in one sentence)."""


def deployment_pings(deployment: Deployment, systems: Iterable[str] = ()) -> list[PingResult]:
    """The checks of ``ml-connector ping`` for ``deployment``: the ledger, the vault and each system it
    reaches with everything its flows read and write there (``systems``: only these checks; an unknown
    one: ``KeyError``), and each instance's own connection (``bill@jde_bill_west``). What ``ping`` prints and
    ``live on`` requires to pass."""
    from connector_assets.flows.access import flow_access, ping_checks, register_flow_pings
    from connector_resources.core_pings import register_core_pings
    from connector_resources.flow_pings import register_instance_pings
    from connector_resources.ping import run_pings
    from connector_resources.redaction import redact

    register_core_pings()
    try:  # each system's check also covers what the chosen flows read and write
        register_flow_pings(flow_access(deployment.definitions, deployment.specs))
        reached = deployment.systems
        own = register_instance_pings(deployment.names)  # instances' own connections, checked apart
    except Exception as exc:  # without the flows, a check would pass on less than they need
        why = f"{type(exc).__name__}: {exc}"
        raise PingUnavailable(
            redact(f"could not load the enabled flows to learn what ping must check: {why}")
        ) from None
    return run_pings(list(systems) or [*ping_checks(reached), *own])


def _every_integration_against_real_systems() -> bool:
    """Whether ``ML_INTEGRATIONS`` is unset (every integration runs) while a connection is configured: the
    sandbox default suits ``make dev``, a deployment against real systems should name what it runs."""
    from connector_assets.deployment import INTEGRATIONS_SETTING

    configured = any(system.is_configured() for system in settings.SYSTEMS.values())
    return configured and not settings.given(INTEGRATIONS_SETTING)


def _chosen_integrations(names: tuple[str, ...]) -> Deployment:
    """The deployment of the integrations ``--integration`` names (an unknown one is a bad option value,
    naming the known ones), else those ``ML_INTEGRATIONS`` names (a bad setting is said in one line by the
    root group, ``connector_cli.refusals``)."""
    from connector_assets.deployment import Deployment, UnknownIntegration

    if not names:
        return Deployment.of()
    try:
        return Deployment.of(names)
    except UnknownIntegration as exc:
        raise click.BadParameter(str(exc), param_hint="'--integration'") from None


def _dagster_runs_ended() -> Callable[[str], bool] | None:
    """With a Dagster instance configured (``DAGSTER_HOME``), the replay takes over at once the leases
    of runs it reports ended, even ones that ran on another machine; without one, only those whose
    process is known to have ended on this machine (the ledger's lease holders)."""
    if not settings.given("DAGSTER_HOME"):
        return None
    from dagster import DagsterInstance

    from connector_assets.flows.assets import runs_ended_in

    try:
        return runs_ended_in(DagsterInstance.get())
    except Exception as exc:  # an instance that cannot be opened: the leases lapse as before
        click.echo(f"Dagster instance not used to recognise ended runs: {exc}", err=True)
        return None
