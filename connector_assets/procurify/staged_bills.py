"""Procurify's bills as the flows read them from staging (``procurify/bills``, staged by
``connector_assets.saas.assets``): the latest version of each bill in a partition, with its change time.
One copy for every flow that takes Procurify's approved bills to another system.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from connector_assets.asset_keys import asset_key

BILLS_ASSET = asset_key("procurify", "bills")  # the staged Procurify bills (connector_assets.saas.assets)


def bill_stamp(bill: Mapping[str, Any]) -> datetime:
    """The bill's change time (``last_modified_datetime``, UTC when it names no zone); now when it has none
    that parses, so the bill is taken as the latest version seen."""
    text = str(bill.get("last_modified_datetime") or "").strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return datetime.now(UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def staged_bills(staging: Any, partition: str | None) -> list[tuple[dict[str, Any], datetime]]:
    """The partition's staged bills, latest version each (by UUID), with their change time."""
    latest: dict[str, tuple[dict[str, Any], datetime]] = {}
    for row in staging.read_rows(BILLS_ASSET, partition):
        record = json.loads(row["record"])
        key, stamp = str(row["id"]), row["updated_at"] or bill_stamp(record)
        stamp = stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
        if key not in latest or stamp >= latest[key][1]:
            latest[key] = (record, stamp)
    return list(latest.values())
