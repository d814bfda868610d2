"""Fusion suppliers found by name, for a flow that pairs another system's records with them by name: only
**active** suppliers, exactly, then by ``fold``; several at one step choose none (a guess).

``SupplierNames`` asks Fusion the exact name first (one ``q`` search); only a name with no active exact
match reads the whole supplier list, once per session, and from then on every name is looked up in it (a
poll of 482 unpaired vendors searched Fusion 482 times although the list was read for the first of them).
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from connector_assets.fusion.supplier_sites import supplier_inactive_reason
from connector_resources.fusion.errors import FusionQueryError
from connector_resources.redaction import get_logger

log = get_logger(__name__)

EXACT = "exact name"
FOLDED = "name ignoring case and spacing"


def fold(name: Any) -> str:
    """A name as compared the second time: NFKC, case-folded, blanks collapsed (``" ACME  inc "`` ->
    ``"acme inc"``)."""
    return " ".join(unicodedata.normalize("NFKC", str(name or "")).casefold().split())


def active_suppliers(suppliers: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The suppliers a record may be paired with (one per ``SupplierId``)."""
    unique = {str(s.get("SupplierId")): s for s in suppliers if s.get("SupplierId") is not None}
    return [s for s in unique.values() if supplier_inactive_reason(dict(s)) is None]


def supplier_text(supplier: Mapping[str, Any]) -> str:
    """``Acme Inc (number 10004, SupplierId 300000047200004)``: a candidate as a refusal lists it."""
    return (
        f"{supplier.get('Supplier')} (number {supplier.get('SupplierNumber')}, "
        f"SupplierId {supplier.get('SupplierId')})"
    )


def match_supplier(
    name: str, suppliers: Iterable[Mapping[str, Any]]
) -> tuple[Mapping[str, Any] | None, str, list[Mapping[str, Any]]]:
    """The Fusion supplier named ``name`` among ``suppliers`` (only active ones count), how it matched
    (``EXACT`` / ``FOLDED``), and the candidates when several match at the same step (then the supplier is
    None: choosing one would be a guess)."""
    active = active_suppliers(suppliers)
    exact = [s for s in active if s.get("Supplier") == name]
    if len(exact) == 1:
        return exact[0], EXACT, exact
    if len(exact) > 1:
        return None, EXACT, exact
    folded = [s for s in active if fold(s.get("Supplier")) == fold(name)]
    if len(folded) == 1:
        return folded[0], FOLDED, folded
    return None, FOLDED, folded


@dataclass
class SupplierList:
    """The whole supplier list by folded name once read (None before), for the sessions that share it."""

    folded: dict[str, list[dict[str, Any]]] | None = None


_REPLAY_LIST: list[tuple[Any, SupplierList]] = []  # (the Fusion resource of a replay run, its list)
_REPLAY_LIST_LOCK = threading.Lock()


def list_of_replays(fusion: Any) -> SupplierList:
    """The supplier list the replays on resource ``fusion`` share: a replay run builds its resources once
    and remaps one record at a time, so each replayed vendor read the whole list again. Only the latest
    resource's list is kept."""
    with _REPLAY_LIST_LOCK:
        if not _REPLAY_LIST or _REPLAY_LIST[0][0] is not fusion:
            _REPLAY_LIST[:] = [(fusion, SupplierList())]
        return _REPLAY_LIST[0][1]


class SupplierNames:
    """Fusion suppliers looked up by name on one session: the exact name with ``q`` (one call), and, only
    when that finds no active supplier, the whole list read once and kept by folded name (in ``listed``,
    when sessions share it)."""

    def __init__(self, session: Any, listed: SupplierList | None = None) -> None:
        self.session = session
        self.listed = SupplierList() if listed is None else listed
        self.exact_searches = 0
        self.whole_reads = 0

    def candidates(self, name: str) -> list[dict[str, Any]]:
        """The suppliers to choose among for ``name``: its active exact matches, else those of its fold."""
        if self.listed.folded is not None:  # the whole list is read: an exact name is among its fold's
            same_fold = self.listed.folded.get(fold(name), [])
            exact = [s for s in same_fold if s.get("Supplier") == name]
            return exact if active_suppliers(exact) else same_fold
        try:
            self.exact_searches += 1
            exact = self.session.search("suppliers", {"Supplier": name})
        except FusionQueryError as exc:  # a name the pod's q cannot carry: compare in the whole list
            log.info(
                "fusion supplier search for %r refused (%s); comparing names in the whole list", name, exc
            )
            exact = []
        if active_suppliers(exact):
            return exact
        return self.folded().get(fold(name), [])

    def folded(self) -> dict[str, list[dict[str, Any]]]:
        if self.listed.folded is None:
            self.whole_reads += 1
            index: dict[str, list[dict[str, Any]]] = {}
            for supplier in self.session.iter_all("suppliers"):
                index.setdefault(fold(supplier.get("Supplier")), []).append(supplier)
            self.listed.folded = index
        return self.listed.folded
