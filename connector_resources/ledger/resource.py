"""The ledger as a Dagster resource, so assets, sensors and schedules receive it by parameter name."""

from __future__ import annotations

import dagster as dg

from connector_resources.ledger.ledger import Ledger, shared_ledger


class LedgerResource(dg.ConfigurableResource):
    """Gives assets the process-wide ``Ledger`` for ``db_url``.

    ``db_url`` empty means "resolve as usual" (``ledger_url``: ``$ML_CONNECTOR_DB_URL``, else a SQLite
    file under ``$ML_CONNECTOR_HOME`` / ``$DAGSTER_HOME``, else under the project's ``.dagster_home``: a run
    starts in the project folder, the code location's working directory). A PostgreSQL URL carries a
    password, so configure it with ``dg.EnvVar("ML_CONNECTOR_DB_URL")`` rather than a literal: Dagster
    shows literal resource config in the UI.

    ``get`` hands out one cached ``Ledger`` (one engine, one migration check) per URL per process:
    a run's many steps must not each open a pool and re-run alembic.
    """

    db_url: str = ""

    def get(self) -> Ledger:
        return shared_ledger(self.db_url or None)
