"""``xref``: manual matches between records the flows cannot pair by themselves (set, list, delete), for
every pairing an integration makes by natural key, as its package declares it (``manual_pairs.PAIRINGS``,
gathered by ``connector_assets.deployment.Deployment.pairings``; docs/operations.md, "Matching records by
hand", has a row for each). The ``--integration`` help names the integrations that declare one, held to
them by tests/project/test_hand_kept_lists.py.

A manual match is a ledger cross-reference marked manual: no flow overwrites it. ``set`` reads both records
in their systems before storing anything, so a typo never becomes a match; ``list`` and ``delete`` read and
change only the ledger. Whoever runs the CLI with the ledger's credentials is an operator: ``--by`` names
them (default: the login name), ``--note`` says why; both are kept with the match, in its audit event and in
the operator actions. The checks and the bookkeeping are the kit's (``flows.manual_pairs``), the same the
desk's match page and a matches file go through.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from connector_cli.decisions import login_name
from connector_resources.ledger import Ledger, LedgerError, ledger_url
from connector_resources.ledger.operator_actions import OPERATOR_ROLE, Operator

if TYPE_CHECKING:  # the pairings load the deployment, on first use
    from connector_assets.flows.manual_pairs import ManualPairing


def _pairings(integration: str | None = None) -> list[ManualPairing]:
    """The deployment's pairings (of ``integration`` when given)."""
    from connector_assets.deployment import Deployment

    return [p for p in Deployment.of().pairings if integration in (None, p.integration)]


def pairings_table() -> str:
    """docs/operations.md's table of the pairings matched by hand ("Matching records by hand"), made from
    every integration's declarations (``ManualPairing``: each side in words and what a person types, the
    flows that pair the records otherwise), so it cannot drift; tests/project/test_hand_kept_lists.py keeps
    the page in step."""
    from connector_assets.deployment import integration_components

    lines = [
        "| `--integration` | `--entity` | `SOURCE` | `TARGET` | the flows that pair them otherwise |",
        "|---|---|---|---|---|",
    ]
    for component in integration_components():
        for p in component.pairings:
            source, target = f"{p.source.words}: {p.source.typed}", f"{p.target.words}: {p.target.typed}"
            flows = "; ".join(p.flow_words.values())
            lines.append(f"| `{p.integration}` | `{p.entity}` | {source} | {target} | {flows} |")
    return "\n".join(lines).replace("<", "\\<")  # `id:<n>` is no HTML tag


def _known() -> str:
    return "; ".join(
        f"--integration {p.integration} --entity {p.entity} ({p.source.words} = {p.target.words}: SOURCE is "
        f"{p.source.typed}, TARGET {p.target.typed})"
        for p in _pairings()
    )


def pairing_named(integration: str | None, entity: str | None) -> ManualPairing:
    """The pairing ``--integration`` / ``--entity`` name. Either may be left out when only one pairing fits
    the other (the entity when the integration has one pairing; the integration when one integration
    pairs that entity, or the deployment runs one); a ``ClickException`` listing the pairings otherwise."""
    found = [p for p in _pairings(integration) if entity in (None, p.entity)]
    if len(found) == 1:
        return found[0]
    if integration is None:
        raise click.ClickException(f"{_integration_needed(entity, found)}. Pairings: {_known()}")
    what = f"{integration}/{entity}" if entity else integration
    why = "names several pairings: say --entity" if found else "names no pairing matched by hand"
    raise click.ClickException(f"{what} {why}. Pairings: {_known()}")


def _integration_needed(entity: str | None, found: list[ManualPairing]) -> str:
    """Why a command without ``--integration`` cannot tell the pairing, naming the integrations to choose."""
    if entity and not found:
        return f"no integration pairs --entity {entity} by hand"
    names = ", ".join(sorted({p.integration for p in found}))
    pairs = f"--entity {entity} is paired by several integrations" if entity else "several pairings exist"
    return f"--integration is needed: {pairs} ({names})"


def _which():
    def decorate(function):
        function = click.option(
            "--entity", default=None, help="The cross-reference's entity (when the integration has several)."
        )(function)
        return click.option(
            "--integration",
            default=None,
            help="The integration the match is for (jde_coupa, coupa_jde, jde_bill, procore_jde, "
            "jde_procurify, fusion_procurify); may be left out when the deployment has one pairing "
            "(of --entity).",
        )(function)

    return decorate


@click.group()
def xref() -> None:
    """Match records by hand where the flows cannot (a supplier held under another name, number and tax id
    in the other system); a manual match is never overwritten by a flow."""


@xref.command("set")
@click.argument("source_id")
@click.argument("target")
@_which()
@click.option("--note", required=True, help="Why the two records are one (kept with the match).")
@click.option("--by", "entered_by", default=login_name, help="Who enters the match (default: $USER).")
@click.option(
    "--replace", is_flag=True, help="Replace a different pair of either record (it is forgotten, audited)."
)
def set_command(
    source_id: str,
    target: str,
    integration: str | None,
    entity: str | None,
    note: str,
    entered_by: str,
    replace: bool,
) -> None:
    """Match SOURCE_ID with TARGET in the pairing --integration (and --entity) names: the JDE supplier's
    address number and the Coupa supplier's id for jde_coupa, the Procurify vendor id and a Fusion
    SupplierNumber or SupplierId for fusion_procurify, ... (a wrong --integration lists what each pairing
    takes).

    Both records are read from their systems first; one that does not exist is refused, naming it. A
    different existing pair of either record (made by a flow or by hand) is refused, naming it, unless
    --replace. The records held for want of the pair are released for replay.
    """
    from connector_assets.flows.manual_matches import find_both, set_match
    from connector_assets.flows.manual_pairs import MatchRefused, Systems
    from connector_assets.flows.replay_resources import resources_from_settings

    pairing = pairing_named(integration, entity)
    ledger = Ledger(ledger_url())
    try:
        with Systems(resources_from_settings(pairing.resources, instance=pairing.integration)) as systems:
            source, found = find_both(pairing, systems, ledger, source_id, target)
            result = set_match(
                pairing,
                ledger,
                source,
                found,
                by=Operator(entered_by, OPERATOR_ROLE),
                note=note,
                replace=replace,
                systems=systems,
            )
    except (MatchRefused, LedgerError) as exc:
        raise click.ClickException(str(exc)) from None
    if not result.stored:
        click.echo(f"already matched: {source.label} = {found.label} (nothing changed)")
        return
    click.echo(f"matched {source.label} = {found.label}, entered by {entered_by}")
    for pair in result.replaced:
        click.echo(f"replaced: {pair}")
    if result.released:
        click.echo(
            f"released {result.released} held record(s) waiting for this pair: the next replay sends them "
            "(ml-connector replay, or the replay schedule)"
        )
    if result.answered:
        click.echo(
            f"{result.answered} other queue item(s) answered by the match (resolved, or due for replay): "
            f"ml-connector audit {source.key} shows each"
        )


@xref.command("list")
@_which()
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines instead of a table.")
def list_command(integration: str | None, entity: str | None, as_json: bool) -> None:
    """Every manual match (of one integration's pairing with --integration): who entered it, when, and
    why. Without options, every pairing of the deployment, each named, with what it pairs."""
    from connector_assets.flows.manual_matches import manual_matches

    pairings = [pairing_named(integration, entity)] if integration else _pairings()
    ledger = Ledger(ledger_url())
    for pairing in pairings:
        matches = manual_matches(pairing, ledger)
        if as_json:
            for x in matches:
                row = {
                    "pairing": pairing.name,
                    "integration": x.integration,
                    "entity": x.entity,
                    "source_system": x.source_system,
                    "source_key": x.source_key,
                    "target_system": x.target_system,
                    "target_id": x.target_id,
                    "entered_by": x.entered_by,
                    "note": x.note,
                    "updated_at": x.updated_at.isoformat(),
                }
                click.echo(json.dumps(row))
            continue
        if not integration:
            click.echo(f"{pairing.name} ({pairing.words}):")
        if not matches:
            click.echo(f"no manual matches for {pairing.name}")
        for x in matches:
            note = f": {x.note}" if x.note else ""
            click.echo(
                f"{x.source_system} {x.source_key} -> {x.target_system} {x.target_id}  entered by "
                f"{x.entered_by} on {x.updated_at:%Y-%m-%d %H:%M}Z{note}"
            )


@xref.command("delete")
@click.argument("source_id")
@_which()
@click.option("--note", required=True, help="Why the match is deleted (kept in its audit trail).")
@click.option("--by", "entered_by", default=login_name, help="Who deletes the match (default: $USER).")
def delete_command(
    source_id: str, integration: str | None, entity: str | None, note: str, entered_by: str
) -> None:
    """Delete the manual match of SOURCE_ID (the pairing's source record, as `xref list` shows it): the
    flows pair the record again (by natural key) on their next run. A pair a flow made is not a manual
    match and is left alone."""
    from connector_assets.flows.manual_matches import delete_match
    from connector_assets.flows.manual_pairs import MatchRefused

    pairing = pairing_named(integration, entity)
    try:
        before = delete_match(
            pairing, Ledger(ledger_url()), source_id, by=Operator(entered_by, OPERATOR_ROLE), note=note
        )
    except (MatchRefused, LedgerError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"deleted the manual match {before.source_system} {before.source_key} -> {before.target_system} "
        f"{before.target_id} (entered by {before.entered_by}); the flows pair {before.source_key} again"
    )
