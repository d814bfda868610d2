"""``sqlite_ledger``: a ledger on SQLite alone, served as the ``ledger`` of the modules that import it.

conftest's ``ledger`` runs a test on SQLite and on PostgreSQL, because the ledger must behave the same on
both. A module whose tests count calls or check what a flow, a replay or a page does with the ledger, not
the database's behaviour, imports this one instead (by name: it then takes the place of conftest's).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connector_resources.ledger import Ledger


@pytest.fixture(name="ledger")
def sqlite_ledger(sqlite_url: str) -> Iterator[Ledger]:
    """A ledger in the test's folder, its connections closed afterwards."""
    ledger = Ledger(sqlite_url)
    yield ledger
    ledger.dispose()
