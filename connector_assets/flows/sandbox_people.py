"""What every integration's sandbox people (``flows.sandbox_setup.IntegrationSandbox.people``) share: which
documents the connector wrote (they act on those, read from the ledger as an operator would list them), and
one round played without ever stopping ``make dev``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from connector_resources.ledger import Ledger


def written_xrefs(
    ledger: Ledger, integration: str, entity: str, source_system: str, target_system: str
) -> list[tuple[str, str]]:
    """(source key, target id) of every ``entity`` cross-reference ``integration``'s flow wrote (a claim with
    no target yet is not written), oldest first."""
    import sqlalchemy as sa

    from connector_resources.ledger import schema

    x = schema.xref
    query = (
        sa.select(x.c.source_key, x.c.target_id)
        .where(
            x.c.integration == integration,
            x.c.entity == entity,
            x.c.source_system == source_system,
            x.c.target_system == target_system,
            x.c.target_id.is_not(None),
        )
        .order_by(x.c.created_at)
    )
    with ledger.read_transaction() as conn:
        return [(str(row.source_key), str(row.target_id)) for row in conn.execute(query)]


def round_player(title: str, *errors: type[BaseException]) -> Callable[[object], object]:
    """``IntegrationSandbox.play``: one round of the people; a failure (one of ``errors``, or a request or
    ledger error) is said, titled, and the round skipped: the next one tries again."""

    def play(people: Any) -> Any:
        import requests
        import sqlalchemy as sa

        try:
            return people.round()
        except (requests.RequestException, sa.exc.SQLAlchemyError, *errors) as exc:
            click.echo(f"{title} sandbox people skipped a round: {exc}")
            return None

    return play
