"""``audit``, ``replay`` and ``ping``: looking at and acting on what the connector did."""

from __future__ import annotations

import json

import click

from connector_resources.ledger import Ledger, ledger_url


def _ledger() -> Ledger:
    return Ledger(ledger_url())


@click.command()
@click.argument("record_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines instead of a table.")
def audit(record_id: str, as_json: bool) -> None:
    """The whole history of one record, by its source key or target ID."""
    ledger = _ledger()
    xrefs = ledger.xrefs_for(record_id)
    events = ledger.history(record_id)
    if not xrefs and not events:
        raise click.ClickException(
            f"nothing recorded for {record_id!r} (neither a source key nor a target ID)"
        )
    if as_json:
        for xref in xrefs:
            click.echo(json.dumps({"xref": _plain(xref)}, default=str))
        for event in events:
            click.echo(json.dumps({"event": _plain(event)}, default=str))
        return
    for x in xrefs:
        manual = " (manual match)" if x.manual else ""
        click.echo(
            f"xref {x.integration}/{x.entity}: {x.source_system} {x.source_key} -> "
            f"{x.target_system} {x.target_id or '(not yet created)'} [{x.state}]{manual}"
        )
    for e in events:
        click.echo(
            f"{e.at:%Y-%m-%d %H:%M:%S}Z {e.action:<7} {e.integration}/{e.flow} "
            f"{e.source_id or '-'} -> {e.target_id or '-'} run={e.run_id or '-'} "
            f"partition={e.partition_key or '-'}: {e.reason}"
        )


def _plain(obj) -> dict:
    from dataclasses import asdict, is_dataclass

    return asdict(obj) if is_dataclass(obj) else dict(obj)


@click.command()
@click.option("--integration", default=None, help="Only this integration (e.g. jde_coupa).")
@click.option("--flow", default=None, help="Only this flow (e.g. suppliers).")
@click.option("--id", "ids", type=int, multiple=True, help="Only these retry-queue item IDs.")
@click.option(
    "--due", is_flag=True, help="Only items whose next attempt time has come (what the schedule does)."
)
@click.option("--dry-run", is_flag=True, help="List what would be replayed, change nothing.")
def replay(integration: str | None, flow: str | None, ids: tuple[int, ...], due: bool, dry_run: bool) -> None:
    """Re-attempt failed retry-queue records now, with today's mappings and credentials.

    Held records (waiting for a supplier or other dependency) are released when that dependency syncs,
    not here. A record that already succeeded is never written again: each flow's handler checks the
    cross-reference first.
    """
    import connector_assets.definitions  # noqa: F401  (flows register their replay handlers on import)
    from connector_resources.replay import handler_for, replay_items

    ledger = _ledger()
    if due:
        items = ledger.due(integration=integration, flow=flow, limit=10_000)
    else:
        items = ledger.open_items(integration=integration, flow=flow, status="failed", limit=10_000)
    if ids:
        items = [item for item in items if item.id in set(ids)]
    if not items:
        click.echo("nothing to replay")
        return
    for item in items:
        handled = "" if handler_for(item.integration, item.flow) else "  [no handler yet: stays queued]"
        click.echo(
            f"#{item.id} {item.integration}/{item.flow} {item.source_key} attempts={item.attempts}: "
            f"{item.reason}{handled}"
        )
    if dry_run:
        return
    summary = replay_items(ledger, items)
    click.echo(summary.line())
    if summary.failed:
        raise SystemExit(1)


@click.command()
@click.option("--system", "systems", multiple=True, help="Only these checks (default: every registered one).")
def ping(systems: tuple[str, ...]) -> None:
    """Check that every configured system answers and accepts our credentials."""
    from connector_resources.core_pings import register_core_pings
    from connector_resources.ping import run_pings

    register_core_pings()
    try:
        results = run_pings(systems or None)
    except KeyError as exc:
        raise click.ClickException(str(exc.args[0])) from None
    for r in results:
        click.echo(f"{'ok  ' if r.ok else 'FAIL'} {r.name:<10} {r.seconds:>6.2f}s  {r.detail}")
    if not all(r.ok for r in results):
        raise SystemExit(1)
