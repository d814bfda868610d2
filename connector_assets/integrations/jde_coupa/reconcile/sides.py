"""What every comparison of a JDE day with Coupa shares: the day, the report, the retry queue's word and how
a field that differs is said (``connector_assets.coupa.reconcile_day``, shared with Coupa -> JD Edwards),
the Coupa records explained, and how a record Coupa lacks is said.

Each entity (suppliers, purchase orders, invoices) re-reads the day's JDE records with the flow's own
readers, maps them with the flow's own mapper and snapshot (``planned``: so "what the flow writes" is one
definition, not two), and compares what Coupa holds field by field; ``Day`` carries what they need and
collects the Coupa records they explained, so the listing of what only Coupa holds (``only_in_coupa``) skips
them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from connector_assets.coupa.reconcile_day import ReconcileDay, shown, shown_money, shown_quantity
from connector_assets.flows.core import FlowSpec, Rejected

__all__ = ["SYSTEMS", "Day", "planned", "shown", "shown_money", "shown_quantity"]

SYSTEMS = ("JDE", "Coupa")

Document = TypeVar("Document")


@dataclass
class Day(ReconcileDay):
    """One JDE day being reconciled: ``start``/``end`` its window (the JDE time zone's day, as UTC)."""

    # Coupa entity -> ids of its records a JDE record of the day explains (compared or looked up).
    explained: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))

    def missing(
        self, spec: FlowSpec, what: str, record: str, scope: str, written: str | None, *keys: str
    ) -> None:
        """A JDE record Coupa does not hold: an expected gap when ``spec``'s queue knows one of ``keys``,
        else a difference "missing in Coupa" naming the Coupa record the flow wrote (``written``), if any."""
        if self.expected(spec, record, *keys):
            return
        if written:
            words = f"{what} was written to Coupa as {written}, which Coupa no longer holds"
        else:
            words = f"{what} is not in Coupa, and not in the retry queue either"
        self._missing(record, scope, words, written or "")

    def refused(self, spec: FlowSpec, what: str, record: str, scope: str, reason: str, *keys: str) -> None:
        """A JDE record the flow refuses (an unmapped account ...) that Coupa does not hold: an expected gap
        when ``spec``'s queue knows one of ``keys``, else a difference naming the flow's reason."""
        if self.expected(spec, record, *keys):
            return
        words = f"{what} is not in Coupa: the flow refuses it ({reason}), and not in the retry queue either"
        self._missing(record, scope, words, "")

    def _missing(self, record: str, scope: str, words: str, counterpart: str) -> None:
        kind = "missing in Coupa"
        self.report.differ(
            kind, record, scope, "present", "missing", words, counterpart=counterpart, field="record"
        )


def planned(
    documents: Iterable[Document], mapper: Callable[[Document], Any]
) -> tuple[dict[str, tuple[Document, dict[str, Any]]], dict[str, tuple[Document, str]]]:
    """The day's JDE documents as the flow maps them (``mapper``): by the flow's key, those it writes with
    the body it sends, and those it refuses with its reason."""
    bodies: dict[str, tuple[Document, dict[str, Any]]] = {}
    refused: dict[str, tuple[Document, str]] = {}
    for document in documents:
        record = mapper(document)
        if isinstance(record, Rejected):
            refused[record.source_key] = (document, record.reason)
        else:
            bodies[record.source_key] = (document, record.body)
    return bodies, refused
