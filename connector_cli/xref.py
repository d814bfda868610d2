"""``xref``: manual matches between records the flows cannot pair by themselves (set, list, delete).

A manual match is a ledger cross-reference marked manual: no flow overwrites it. ``set`` checks both
records in their systems before storing anything, so a typo never becomes a match; ``list`` and ``delete``
read and change only the ledger. The checks and the bookkeeping (audit, conflicts, held records released)
are ``procurify.vendor_matches``' (Fusion's words and supplier lookup in ``fusion_procurify.manual_matches``),
shared with the manual matches file.
"""

from __future__ import annotations

import json

import click

from connector_cli.decisions import login_name
from connector_resources.ledger import Ledger, ledger_url

DEFAULT_INTEGRATION = "fusion_procurify"
DEFAULT_ENTITY = "vendor"
# What ``set`` knows how to check in both systems: (integration, entity).
SETTABLE = {("fusion_procurify", "vendor"): "a Procurify vendor id and a Fusion supplier number or id"}


def _which(function):
    function = click.option(
        "--entity", default=DEFAULT_ENTITY, show_default=True, help="The cross-reference's entity."
    )(function)
    return click.option(
        "--integration",
        default=DEFAULT_INTEGRATION,
        show_default=True,
        help="The integration the match is for.",
    )(function)


@click.group()
def xref() -> None:
    """Match records by hand where the flows cannot (a Procurify vendor named differently from its
    Fusion supplier); a manual match is never overwritten by a flow."""


@xref.command("set")
@click.argument("source_id")
@click.argument("target")
@_which
@click.option("--by", "entered_by", default=login_name, help="Who enters the match (default: $USER).")
@click.option("--note", default="", help="Why the two records are one (kept with the match).")
@click.option(
    "--replace", is_flag=True, help="Replace a different pair of either record (it is forgotten, audited)."
)
def set_command(
    source_id: str, target: str, integration: str, entity: str, entered_by: str, note: str, replace: bool
) -> None:
    """Match SOURCE_ID (a Procurify vendor id) with TARGET (a Fusion SupplierNumber or SupplierId;
    number:<n> or id:<n> when a value could be both).

    Both are read from their systems first; a vendor or supplier that does not exist is refused. A
    different existing pair of either record (made by a flow or by hand) is refused, naming it, unless
    --replace. A vendor the suppliers flow made for the supplier must be deactivated in Procurify first
    (else the match is refused naming both vendors: it would stay a second active vendor).
    The vendor's purchase orders and invoices held for want of a supplier are released for replay.
    """
    if (integration, entity) not in SETTABLE:
        known = ", ".join(f"--integration {i} --entity {e} ({what})" for (i, e), what in SETTABLE.items())
        raise click.ClickException(
            f"xref set checks both records before matching them and knows how for: {known}; "
            f"not for {integration}/{entity}"
        )
    from connector_assets.integrations.fusion_procurify.manual_matches import (
        find_fusion_supplier,
        set_vendor_match,
    )
    from connector_assets.integrations.fusion_procurify.vendor_pairs import id_key
    from connector_assets.procurify.vendor_matches import MatchRefused, check_procurify_vendor
    from connector_resources.fusion import FusionResource
    from connector_resources.procurify import ProcurifyResource

    try:
        vendor_id = id_key(source_id, "Procurify vendor id")
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        with ProcurifyResource.initialized_from_settings().session() as procurify:
            vendor_name = check_procurify_vendor(procurify, vendor_id)
            with FusionResource.initialized_from_settings().session() as fusion:
                supplier = find_fusion_supplier(fusion, target)
            result = set_vendor_match(
                Ledger(ledger_url()),
                vendor_id,
                supplier,
                entered_by=entered_by,
                note=note,
                vendor_name=vendor_name,
                replace=replace,
                procurify=procurify,  # reads whether the suppliers flow's vendor is still active
            )
    except MatchRefused as exc:
        raise click.ClickException(str(exc)) from None
    vendor = (
        f"Procurify vendor {vendor_name} ({vendor_id})" if vendor_name else f"Procurify vendor {vendor_id}"
    )
    if not result.stored:
        click.echo(f"already matched: {vendor} = {supplier.label} (nothing changed)")
        return
    click.echo(f"matched {vendor} = {supplier.label}, entered by {entered_by}")
    for pair in result.replaced:
        click.echo(f"replaced: {pair}")
    if result.released:
        click.echo(
            f"released {result.released} held record(s) of this vendor: the next replay sends them "
            "(ml-connector replay, or the replay schedule)"
        )


@xref.command("list")
@_which
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines instead of a table.")
def list_command(integration: str, entity: str, as_json: bool) -> None:
    """Every manual match of the integration's entity: who entered it, when, and why."""
    matches = Ledger(ledger_url()).manual_matches(integration, entity)
    if as_json:
        for x in matches:
            row = {
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
        return
    if not matches:
        click.echo(f"no manual matches for {integration}/{entity}")
        return
    for x in matches:
        note = f": {x.note}" if x.note else ""
        click.echo(
            f"{x.source_system} {x.source_key} -> {x.target_system} {x.target_id}  entered by {x.entered_by} "
            f"on {x.updated_at:%Y-%m-%d %H:%M}Z{note}"
        )


@xref.command("delete")
@click.argument("source_id")
@_which
@click.option("--by", "entered_by", default=login_name, help="Who deletes the match (default: $USER).")
def delete_command(source_id: str, integration: str, entity: str, entered_by: str) -> None:
    """Delete the manual match of SOURCE_ID (a Procurify vendor id): the flows pair the record again (by
    name) on their next run. A pair a flow made is not a manual match and is left alone."""
    from connector_assets.procurify.vendor_matches import MatchRefused, delete_manual_match

    key = source_id.strip()
    if key.isdigit():
        key = str(int(key))
    try:
        before = delete_manual_match(Ledger(ledger_url()), integration, entity, key, entered_by=entered_by)
    except MatchRefused as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"deleted the manual match {before.source_system} {before.source_key} -> {before.target_system} "
        f"{before.target_id} (entered by {before.entered_by}); the flows pair {before.source_key} again"
    )
