"""Which Procurify vendors changed since the last poll, found by content: Procurify's vendor list has no
"modified since" filter the flows can key on, so every poll reads the purchasable vendors whole and
compares each one's fingerprint with the one the last poll kept in the ledger (a cursor per vendor,
``<stream><vendor id>`` = ``<when seen>|<fingerprint>``). One copy for every flow that sends Procurify's
vendors to another system.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from connector_resources.ledger import Ledger
from connector_resources.ledger import schema as ledger_schema


def known_fingerprints(ledger: Ledger, integration: str, stream: str) -> dict[str, str]:
    """Vendor id -> the fingerprint the last poll that saw it kept (one query for all of them)."""
    t = ledger_schema.cursor
    query = sa.select(t.c.stream, t.c.value).where(
        t.c.integration == integration, t.c.stream.like(f"{stream}%")
    )
    with ledger.read_transaction() as conn:
        rows = conn.execute(query).all()
    return {name[len(stream) :]: value.rpartition("|")[2] for name, value in rows}


def keep_fingerprints(ledger: Ledger, integration: str, stream: str, changed: Mapping[str, str]) -> None:
    """Keep the new fingerprints of the vendors that changed (or are new), in one transaction. The cursor
    value starts with the time seen, so it always moves forward (a cursor never moves back)."""
    if not changed:
        return
    seen = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with ledger.transaction() as conn:
        for vendor_id, print_ in changed.items():
            ledger.advance_cursor(integration, f"{stream}{vendor_id}", f"{seen}|{print_}", conn=conn)


@dataclass
class VendorChanges:
    """One poll's view of what changed: ``known`` (vendor id -> last kept fingerprint), ``queued`` (vendor
    ids with an item left in the queue). A vendor unchanged since it was queued is held back: sending it
    again would only queue the same refusal again."""

    known: Mapping[str, str]
    queued: set[str]
    fingerprint: Callable[[Mapping[str, Any]], str]
    changed: dict[str, str] = field(default_factory=dict)  # vendor id -> its new fingerprint
    held_back: list[str] = field(default_factory=list)

    def fingerprinted(self, vendors: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """The vendors as read, noting on the way each one whose fingerprint differs from the kept one."""
        for vendor in vendors:
            key, print_ = str(vendor.get("id")), self.fingerprint(vendor)
            if self.known.get(key) != print_:
                self.changed[key] = print_
            yield vendor

    def unchanged_in_queue(self, key: str) -> bool:
        """Whether to skip vendor ``key``: queued and not changed since (counted in ``held_back``)."""
        if key in self.queued and key not in self.changed:
            self.held_back.append(key)
            return True
        return False
