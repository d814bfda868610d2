"""Changing a mapping table in a test the way an operator does, not by editing the file it came from.

The ledger owns a table from its first use (the configured file is imported once; later edits of the file
are not applied), so a test that needs other rows saves them as the exceptions desk and ``ml-connector
mappings import`` do: ``plan_change`` (format and master-data checks) then ``save_change`` (who, why, a new
version). The table lives in the ledger every process resolves (``shared_ledger``): a test of a fresh
deployment with a file of its own points ``ML_CONNECTOR_DB_URL`` at a ledger of its own (``own_ledger``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from roots import ROOT

from connector_assets.flows.mapping_changes import MappingDiff, plan_change, save_change
from connector_assets.flows.mapping_tables import MappingTable
from connector_resources.ledger import shared_ledger
from connector_resources.ledger.mapping_store import MappingInfo
from connector_resources.ledger.operator_actions import Operator
from connector_resources.settings import given

CLERK = Operator("ann", "operator")


def own_ledger(monkeypatch: pytest.MonkeyPatch, folder: Path) -> str:
    """Mapping tables (and anything else resolving the shared ledger) in a SQLite ledger under ``folder``
    for the rest of the test: a fresh deployment imports its configured files on first use."""
    url = f"sqlite:///{folder / 'mappings.sqlite'}"
    monkeypatch.setenv("ML_CONNECTOR_DB_URL", url)
    return url


def sandbox_path(table: MappingTable) -> Path:
    """The sandbox file the table is imported from when its setting is unset."""
    assert table.sandbox_file, f"{table.name} has no sandbox file"
    return ROOT / "mappings" / "sandbox" / table.sandbox_file


def _pinned() -> None:
    """A change is only seen by runs that resolve the same ledger: each throwaway Dagster instance points
    ``DAGSTER_HOME`` at a folder of its own, so a test with such runs pins the ledger (``own_ledger``)."""
    assert given("ML_CONNECTOR_DB_URL") or given("DAGSTER_HOME"), (
        "no ML_CONNECTOR_DB_URL: each run would import the table afresh; call own_ledger first"
    )


def save_rows(
    table: MappingTable,
    rows: Mapping[str, str | None],
    *,
    note: str,
    resources: Mapping[str, Any] | None = None,
    replace: bool = False,
    origin: str = "desk",
) -> MappingInfo:
    """Rows set (a value) or deleted (None), or with ``replace`` the whole table, checked and saved by
    ``CLERK``; ``resources``: the clients the table's master-data check reads (a world's, else settings)."""
    _pinned()
    planned = plan_change(table, rows, resources=resources, replace=replace)
    return save_change(planned, by=CLERK, note=note, origin=origin)


def import_file(
    table: MappingTable, path: Path, *, note: str, resources: Mapping[str, Any] | None = None
) -> MappingInfo:
    """The table replaced by the file's rows, as ``ml-connector mappings import <file>`` does."""
    return save_rows(
        table, table.read(path), note=note, resources=resources, replace=True, origin=f"import {path}"
    )


def remove_rows(table: MappingTable, keys: list[str], *, note: str) -> dict[str, str]:
    """Delete ``keys`` from today's table (checked and saved as ``save_rows``); the rows removed, so the
    test can put them back with ``save_rows``."""
    _pinned()
    rows = table.current()
    removed = {key: rows[key] for key in keys}
    save_rows(table, dict.fromkeys(removed), note=note)
    return removed


def save_unchecked(
    table: MappingTable, rows: Mapping[str, str | None], *, note: str, replace: bool = False
) -> MappingInfo:
    """Rows set or deleted (with ``replace`` the whole table) straight in the ledger (``change_mapping``):
    the format checked, the master data not. For a test with no system to check against, and for a table
    typed against the wrong chart, which comes to be in force that way (a first import checks the format
    only) without a fresh deployment."""
    _pinned()
    ledger = shared_ledger()
    current = table.current(ledger)
    wanted = {} if replace else dict(current)
    for key, value in rows.items():
        if value is None:
            wanted.pop(key, None)
        else:
            wanted[key] = value
    diff = MappingDiff.between(current, table.check_rows(wanted))
    return ledger.change_mapping(table.name, diff.changes(), by=CLERK, note=note, origin="desk")
