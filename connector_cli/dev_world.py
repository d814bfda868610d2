"""``make dev``'s sandbox world: the six simulators on their kept data, and each integration's start-up
linking, as one step (``start_world``).

Why one step: the ledger keeps every pairing the flows made with the simulators' records, across a restart.
So the simulators keep their data too (``$DAGSTER_HOME/sandbox``, ``connector_sandbox.registry``) and the
linking re-points nothing it linked before (``connector_sandbox.linking``); and a start that cannot keep
the whole world refuses, saying how to start it over, rather than start half of it fresh beside an old
ledger: the sandboxes refuse a mix of kept and missing files themselves (``KeptWorldError``), and here a
fresh set of sandboxes is refused while the ledger still holds pairings with sandbox records. Kept data
the ledger pairs nothing with (one simulator started alone by ``ml-connector sandbox``, before the first
``make dev``) is no world yet: it is seeded anew with the others, and the console says so.
"""

from __future__ import annotations

from pathlib import Path

import click


def start_world(ledger_url: str, *, scale: float) -> list:
    """Start every simulator at ``scale`` (kept data reused, or all seeded anew) and run each
    integration's ``make dev`` set-up on them; answers the running simulators. Raises
    ``click.ClickException`` (nothing left running) when a port is taken or the world would be half."""
    from connector_assets.deployment import integration_components
    from connector_assets.flows.sandbox_setup import integration_sandboxes
    from connector_sandbox.registry import SANDBOXES, KeptWorldError, PortsTaken, data_dir, kept_data, start

    folder = data_dir()
    kept = kept_data(SANDBOXES, scale, folder)
    if not kept:
        _refuse_fresh_beside_pairings(ledger_url, scale, folder)
    elif len(kept) < len(SANDBOXES) and not sandbox_pairings(ledger_url):
        _seed_anew(kept, scale, folder)
    try:  # the ports were checked before; one taken since then still stops everything
        running = start(scale=scale)
    except PortsTaken as exc:
        raise click.ClickException(f"not starting: {exc} already in use") from None
    except KeptWorldError as exc:
        raise click.ClickException(str(exc)) from None
    for sandbox in running:
        click.echo(f"sandbox {sandbox.spec.key}: {sandbox.url}")
    for integration in integration_sandboxes(c.package for c in integration_components()):
        integration.set_up(running, ledger_url)
    return running


def sandbox_pairings(ledger_url: str) -> int:
    """How many ledger pairings name a record of a system the embedded sandboxes serve (one configured to
    a real system is not counted: its records are not the sandbox's)."""
    import sqlalchemy as sa

    from connector_resources.ledger import Ledger
    from connector_resources.ledger import schema as tables
    from connector_resources.systems import declared_systems

    # The ledger names a system as the flows do (``System.name_in_flows``: JD Edwards is "JDE" there).
    names = [s.name_in_flows.lower() for s in declared_systems() if not s.is_configured()]
    xref = tables.xref
    systems = (xref.c.source_system, xref.c.target_system)
    named = sa.or_(*(sa.func.lower(column).in_(names) for column in systems))
    ledger = Ledger(ledger_url)
    try:
        with ledger.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(xref).where(named)).scalar_one())
    finally:
        ledger.dispose()


def _seed_anew(kept: list[str], scale: float, folder: Path) -> None:
    """Remove the kept data of ``kept`` (at ``scale``, SQLite's side files included): the ledger pairs
    nothing with it, so the six simulators are seeded anew together rather than refused as half a world."""
    from connector_sandbox.registry import SANDBOXES

    for key in kept:
        data = SANDBOXES[key].data_file(scale, folder)
        for path in (data, *data.parent.glob(data.name + "-*")):  # -wal, -shm, -journal
            path.unlink(missing_ok=True)
    click.echo(
        f"sandbox data kept in {folder} for {', '.join(kept)} only, and the ledger pairs nothing with it: "
        "every sandbox seeded anew"
    )


def _refuse_fresh_beside_pairings(ledger_url: str, scale: float, folder: Path) -> None:
    """No sandbox data is kept at ``scale``: refuse when the ledger still pairs records of the sandboxes
    (the data was removed, or kept at another scale), which fresh simulators would not have."""
    from connector_sandbox.registry import START_OVER

    pairings = sandbox_pairings(ledger_url)
    if not pairings:
        return
    other = sorted(path.name for path in folder.glob("*.sqlite"))
    raise click.ClickException(
        f"not starting the sandboxes: the ledger holds {pairings} pairing(s) with sandbox records, but "
        f"{folder} keeps no sandbox data at scale {scale:g}"
        + (f" (it holds {', '.join(other)}: start with the scale they were kept at)" if other else "")
        + "; seeding the sandboxes anew would leave those pairings naming records that are not there. "
        + START_OVER.format(folder=folder)
    )
