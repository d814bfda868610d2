"""What a SaaS read asset runs on in a test: staging and a ledger under the test's own folder, and an
overlap short enough that a re-read of today stays within today.

Within the overlap after midnight UTC the re-read would start yesterday, which is a whole-day read by
design; a one-second overlap keeps a test about today whatever the hour it runs at.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from connector_assets.flows.target_boundary import UNWRAPPED
from connector_assets.runtime.staging import StagingResource
from connector_resources.ledger import LedgerResource


def saas_resources(tmp_path: Path, **systems: Any) -> dict[str, Any]:
    """``systems`` (``coupa=resource``...) with staging and a SQLite ledger under ``tmp_path``."""
    ledger = LedgerResource(db_url=f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    staging = StagingResource(base_dir=str(tmp_path))
    return {**systems, "staging": staging, "ledger": ledger, "target_boundary": UNWRAPPED}


def overlap_of_one_second(monkeypatch: pytest.MonkeyPatch) -> None:
    """Re-read one second back, not the default overlap: the read stays within today at any hour."""
    monkeypatch.setenv("ML_SAAS_OVERLAP_MINUTES", str(1 / 60))


def saas_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **systems: Any) -> dict[str, Any]:
    """``saas_resources`` for a test about today: re-reads one second back (``overlap_of_one_second``)."""
    overlap_of_one_second(monkeypatch)
    return saas_resources(tmp_path, **systems)
