"""``ml-connector fit``: see if we fit, a preview of one integration over some days that writes nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click


def _day(_ctx: click.Context, _param: click.Parameter, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a day (YYYY-MM-DD)") from None


@click.command()
@click.option("--integration", required=True, help="The integration to preview (e.g. jde_coupa).")
@click.option("--flow", "flows", multiple=True, help="Only this flow (repeatable; default: every flow).")
@click.option("--from", "first", required=True, callback=_day, help="First day (YYYY-MM-DD).")
@click.option("--to", "last", required=True, callback=_day, help="Last day (YYYY-MM-DD), included.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for fit.csv, fit.md and fit.html (default: ./fit-<integration>-<from>-<to>).",
)
def fit(integration: str, flows: tuple[str, ...], first: date, last: date, out: Path | None) -> None:
    """Preview every record the integration's flows would write for those days, writing nothing: each
    record's verdict (create, adopt, update, unchanged, refuse, hold, ambiguous) in fit.csv, with fit.md
    and fit.html for the go-live questions. Reads run as in a real run; every write request is held back."""
    from connector_assets.deployment import Deployment, UnknownIntegration
    from connector_assets.preview.fit import fit as run_fit
    from connector_resources.ledger import Ledger, ledger_url

    if last < first:
        raise click.BadParameter(f"--to {last} is before --from {first}", param_hint="--to")
    try:
        deployment = Deployment.of([integration])
    except UnknownIntegration as exc:
        raise click.BadParameter(str(exc), param_hint="--integration") from None
    out = out or Path(f"fit-{integration}-{first}-{last}")
    try:
        done = run_fit(
            deployment.definitions,
            integration,
            first,
            last,
            out,
            ledger=Ledger(ledger_url()),
            specs=deployment.specs,
            flows=flows,
            say=click.echo,
        )
    except ValueError as exc:  # an unknown flow, named with the known ones
        raise click.BadParameter(str(exc), param_hint="--flow") from None
    click.echo(f"report: {out / 'fit.html'} (and fit.md, fit.csv); nothing was written to any system")
    if done.failed:
        raise SystemExit(1)
