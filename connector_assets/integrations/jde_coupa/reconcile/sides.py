"""What every comparison of a JDE day with Coupa shares: the day, the report, the retry queue's word and how
a field that differs is said (``connector_assets.coupa.reconcile_day``, shared with Coupa -> JD Edwards).

Each entity re-reads the day's JDE records with the flow's own readers and mapper (``planned``: "what the
flow writes" is one definition, not two); ``Day`` collects the Coupa records they explained, so
``only_in_coupa`` skips them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from connector_assets.coupa.reconcile_day import ReconcileDay
from connector_assets.coupa.reconcile_reads import amount_of
from connector_assets.flows.core import FlowSpec, Rejected
from connector_assets.flows.mapping_tables import MappingTable
from connector_assets.flows.reconciliation_totals import SideTotals

from ..purchase_orders import OrderMapping

SYSTEMS = ("JDE", "Coupa")

Document = TypeVar("Document")


@dataclass(frozen=True)
class Own:
    """One instance's flows and tables, which its reconciliation maps and looks up records with."""

    suppliers: FlowSpec
    purchase_orders: FlowSpec
    invoices: FlowSpec
    payment_terms: MappingTable
    mapping: OrderMapping  # the account table, and the suppliers flow orders and invoices wait for


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


@dataclass(frozen=True)
class Kind:
    """What a flow writes to Coupa: the flow, Coupa's resource (``purchase_orders``), how one of its records
    is named (``purchase order``) and the field holding its amount (None: a supplier has none)."""

    spec: FlowSpec
    entity: str
    noun: str
    total: str | None = None


@dataclass(frozen=True)
class Said:
    """How one JDE record of the day is named: its supplier (the scope), the record, the subject of its
    sentences, and its amount as JDE states it (None: not counted in the per-supplier totals)."""

    supplier: str
    record: str
    what: str
    amount: Decimal | None = None


def in_coupa(
    day: Day,
    kind: Kind,
    keys: Iterable[str],
    matched: Mapping[str, dict[str, Any]],
    refused: Mapping[str, tuple[Any, str]],
    said: Callable[[str], Said],
    totals: SideTotals | None = None,
) -> Iterator[tuple[str, Said, dict[str, Any]]]:
    """Each of the day's JDE records (``keys``) with the Coupa record it became: the one ``matched`` by its
    natural key, else the one the flow's cross-reference names (read by id). One Coupa lacks is an expected
    gap when the flow's queue holds it, else "missing in Coupa" (with the flow's refusal from ``refused``).
    The caller compares each pair yielded while under ``held_differently``; ``totals`` counts per supplier."""
    keys = list(keys)
    written = _written(day, kind.spec, keys)
    lost = [written[k] for k in keys if k not in matched and k in written]
    by_id = {str(r["id"]): r for r in day.coupa.iter_in(kind.entity, "id", lost)} if lost else {}
    for key in keys:
        named = said(key)
        coupa = matched.get(key) or by_id.get(written.get(key, ""))
        row = totals.touch((named.supplier,)) if totals is not None else None
        if row is not None and named.amount is not None:
            row[0] += 1
            row[1] += named.amount
        if coupa is None:
            if key in refused:
                day.refused(kind.spec, named.what, named.record, named.supplier, refused[key][1], key)
            else:
                written_as = f"{kind.noun} {written[key]}" if key in written else None
                day.missing(kind.spec, named.what, named.record, named.supplier, written_as, key)
            continue
        day.explained[kind.entity].add(int(coupa["id"]))
        day.report.compared += 1
        if row is not None and kind.total is not None:
            row[2] += 1
            row[3] += amount_of(coupa.get(kind.total)) or Decimal(0)
        with day.held_differently(kind.spec, named.record, key):
            yield key, named, coupa


def _written(day: Day, spec: FlowSpec, keys: list[str]) -> dict[str, str]:
    """The flow's key -> the Coupa id it wrote the record as (its cross-reference), for those written."""
    xrefs = day.ledger.get_xrefs(spec.integration, spec.entity, spec.source_system, keys, "coupa")
    return {key: xref.target_id for key, xref in xrefs.items() if xref is not None and xref.target_id}


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
