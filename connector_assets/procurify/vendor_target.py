"""The Procurify side of a flow sending another system's suppliers as vendors: find before a create (a chunk
at once in the vendor list, ``find_many``), create, PATCH what differs. ``KeyedVendors`` (JDE: by pair or
``external_id``), ``NamedVendors`` (Fusion: also by a unique exact name); never one paired elsewhere."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from connector_assets.flows.after_write import release_held, released_at
from connector_assets.flows.core import FlowSpec, Mapped, Rejected, Unchanged
from connector_assets.procurify import vendor_writes
from connector_assets.procurify.vendor_fields import PURCHASABLE_TYPES, is_active, vendor_type
from connector_assets.procurify.vendor_list import kept_vendors, listed_vendors
from connector_assets.procurify.vendor_pairing import PROCURIFY, SUPPLIER_ENTITY, VendorPairing
from connector_assets.runtime.session_source import SessionSource
from connector_resources.ledger import Ledger
from connector_resources.procurify.errors import SYSTEM
from connector_resources.procurify.session import ProcurifySession
from connector_resources.redaction import get_logger
from connector_resources.refusals import Refusal, Refused

log = get_logger(__name__)


def supplier_records(
    suppliers: Iterable[Any],
    paired_vendor: Callable[[Any], str | None],
    left_out: Callable[[Any], bool],
    map_one: Callable[[Any, str | None], Mapped | Rejected],
    words: str,
) -> Iterator[Mapped | Rejected]:
    """Each of the other system's ``suppliers`` as a Procurify vendor record (``map_one(supplier, its paired
    vendor)``), but one ``left_out`` while it has no vendor (inactive: nobody may buy from it): not queued,
    counted in one log line naming the suppliers in ``words`` (``JDE supplier``)."""
    skipped = 0
    for supplier in suppliers:
        vendor_id = paired_vendor(supplier)
        if vendor_id is None and left_out(supplier):
            skipped += 1
            continue
        yield map_one(supplier, vendor_id)
    if skipped:
        log.info("%d inactive %s(s) without a Procurify vendor: not sent", skipped, words)


class ProcurifyVendorTarget:
    """Finds and creates Procurify vendors for ``pairing``'s suppliers on one Procurify session; the
    ledger answers which vendor a supplier is paired with. A record's ``natural_key["external_id"]`` is
    the supplier's ERP key on the vendor."""

    pairing: VendorPairing  # the integration's, set by the subclass

    def __init__(self, session: Any, ledger: Ledger, run_id: str | None = None, run: Any = None) -> None:
        self.session, self.ledger, self.run_id = session, ledger, run_id
        self.listed: dict[str, dict[str, object]] = {}  # the last chunk's list read, by vendor id
        self.run = run  # the run's vendor list (``vendor_list.vendors_for_run``) while no vendor is written

    @classmethod
    def for_replay(
        cls, resources: Mapping[str, Any], ledger: Ledger, spec: FlowSpec | None = None
    ) -> AbstractContextManager[ProcurifyVendorTarget]:
        """A replay's opener (``Replay.target``): on the replay's ``procurify``, holding the replay's ledger
        (it reads the pairs there)."""
        return open_vendors(cls, resources["procurify"], ledger)

    def find(self, record: Mapped) -> str | None:
        paired = self.pairing.paired_vendor(self.ledger, record.source_key)
        if paired is not None:
            return paired
        vendor = self.session.find_vendor(str(record.natural_key["external_id"]), include_inactive=True)
        if vendor is None:
            return self.find_more(record)
        self.refuse_if_paired_elsewhere(record, vendor, "carries its supplier number as external_id")
        return str(vendor["id"])

    def find_many(self, records: Sequence[Mapped]) -> dict[str, str | None]:
        """``find`` for a chunk at once: the ledger's pairs, then each ``external_id`` looked up in the whole
        vendor list when that costs fewer calls than a search or an update's read each. Left to ``find``: a
        key on several vendors, a vendor paired elsewhere, one not found where ``find_more`` looks on."""
        pairs = {r.source_key: self.pairing.paired_vendor(self.ledger, r.source_key) for r in records}
        found: dict[str, str | None] = {key: vendor for key, vendor in pairs.items() if vendor is not None}
        search = [record for record in records if record.source_key not in found]
        self.listed = kept_vendors(self.run) or listed_vendors(self.session, len(records)) or {}
        keyed: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for vendor in self.listed.values():
            keyed[str(vendor.get("external_id") or "")].append(vendor)
        looks_on = type(self).find_more is not ProcurifyVendorTarget.find_more
        for record in search if self.listed else ():
            rows = keyed.get(str(record.natural_key["external_id"]), [])
            chosen = [v for v in rows if v.get("active") is not False] or rows
            if not chosen and not looks_on:
                found[record.source_key] = None
            elif len(chosen) == 1:
                other = self.pairing.paired_supplier(self.ledger, str(chosen[0].get("id")))
                if other is None or other == record.source_key:
                    found[record.source_key] = str(chosen[0]["id"])
        return found

    def vendor_now(self, vendor_id: str) -> dict[str, Any]:
        """The vendor an update compares with: as the chunk's list read found it (once), else read by id."""
        listed = self.listed.pop(vendor_id, None)
        return listed if listed is not None else self.session.get("vendors", vendor_id)

    def find_more(self, record: Mapped) -> str | None:
        """Another way to find the vendor once pair and ``external_id`` found none (None: create one)."""
        return None

    def refuse_if_paired_elsewhere(self, record: Mapped, vendor: Mapping[str, object], how: str) -> None:
        """Raise ``paired_elsewhere`` when the ledger pairs ``vendor`` (found because it ``how``) with
        another supplier than ``record``'s."""
        other = self.pairing.paired_supplier(self.ledger, str(vendor.get("id")))
        if other is not None and other != record.source_key:
            raise self.paired_elsewhere(record, vendor, other, how)

    def paired_elsewhere(
        self, record: Mapped, vendor: Mapping[str, object], other: str, how: str
    ) -> Exception:
        """The refusal of a found ``vendor`` the ledger pairs with supplier ``other``, in the integration's
        words (what to correct, where)."""
        raise NotImplementedError

    def no_email(self, record: Mapped) -> Exception:
        """The refusal of a create with no e-mail address (Procurify requires one on every vendor)."""
        raise NotImplementedError

    def create(self, record: Mapped) -> str:
        if not record.body.get("email"):
            raise self.no_email(record)
        created = self.session.create_vendor(record.body)
        vendor_id = str(created["id"])
        self.created(record, vendor_id)
        return vendor_id

    def created(self, record: Mapped, vendor_id: str) -> None:
        """What the integration does the moment Procurify names the new vendor (nothing by default)."""


class KeyedVendors(ProcurifyVendorTarget):
    """Found by the ledger's pair, then by ``external_id`` = the supplier's key (never by name); an update
    PATCHes what differs, the other system's primary e-mail first (``primary_email_first``), nothing when that
    system changed only by the ``vendors`` flow's write (``ONLY_OURS_KEY``). Refusals: ``<words> <key>``."""

    supplier_words: str  # "JDE supplier"
    fallback_setting: str  # the fallback e-mail setting a refusal names
    # why a new vendor has no e-mail, and where to add one ("no e-mail address in F01151 and ...")
    email_missing: str

    def paired_elsewhere(
        self, record: Mapped, vendor: Mapping[str, object], other: str, how: str
    ) -> Exception:
        key, words = record.source_key, self.supplier_words
        return VendorRefused(
            f"{words} {key}: Procurify vendor {vendor['id']} ({vendor.get('name')}) carries "
            f"external_id {key}, but the ledger pairs it with {words} {other}; not adopted, not "
            "changed. Correct the vendor's external_id in Procurify, or enter the right match by hand, "
            "then replay"
        )

    def no_email(self, record: Mapped) -> Exception:
        return VendorRefused.setting(
            f"{self.supplier_words} {record.source_key}: {self.email_missing} or set "
            f"{self.fallback_setting}, then replay",
            self.fallback_setting,
        )

    def update(self, target_id: str, record: Mapped) -> Unchanged | None:
        if record.natural_key.get(vendor_writes.ONLY_OURS_KEY):
            # the other system holds what the vendors flow just wrote from this very vendor
            return Unchanged("the vendors flow wrote this supplier from this very Procurify vendor")
        vendor = self.vendor_now(target_id)
        fallback = bool(record.natural_key.get(vendor_writes.FALLBACK_KEY))
        changes = vendor_writes.vendor_changes(
            vendor,
            record.body,
            lambda held, wanted: vendor_writes.primary_email_first(held, wanted, fallback),
        )
        if not changes:
            return Unchanged(f"Procurify vendor {target_id} already holds these values")
        self.session.update_vendor(int(target_id), changes)
        return None


class VendorRefused(Refused):
    """The Procurify vendor found for a supplier is not one this flow may adopt (the reason says): a
    ``conflict`` in Procurify unless said otherwise."""

    def __init__(self, sentence: str, refusal: Refusal | None = None) -> None:
        super().__init__(refusal or Refusal("conflict", sentence, {"system": SYSTEM}))

    @classmethod
    def setting(cls, sentence: str, setting: str) -> VendorRefused:
        """Refused until ``setting`` is set (a new vendor with no e-mail and no fallback)."""
        return cls(sentence, Refusal("configuration", sentence, {"system": SYSTEM, "setting": setting}))


class NamedVendors(ProcurifyVendorTarget):
    """Found by the ledger's pair, then ``external_id`` = the supplier number (inactive ones too: what a
    crashed attempt made, or a vendor keyed by hand), then the one active purchasable vendor of exactly the
    name paired and keyed nowhere else; else created. An update keeps a hand-matched vendor's name (the
    record's ``natural_key``: ``name``, ``external_id``). docs/integrations/fusion_procurify.md, suppliers."""

    system: str  # "Fusion"
    supplier_words: str  # "Fusion supplier"
    fallback_setting: str

    def who(self, record: Mapped) -> str:
        return f"{self.supplier_words} {record.natural_key['name']} ({record.natural_key['external_id']})"

    def find_more(self, record: Mapped) -> str | None:
        name, number = str(record.natural_key["name"]), str(record.natural_key["external_id"])
        found = self.session.find_vendors(name=name)
        same = [v for v in found if is_active(v) and vendor_type(v) in PURCHASABLE_TYPES]
        if not same:
            return None
        who = self.who(record)
        if len(same) > 1:
            ids = ", ".join(str(v.get("id")) for v in same[:10])
            said = (
                f"{who}: {len(same)} active Procurify vendors are named {name!r} (ids {ids}); adopting one "
                "would be a guess and creating another a duplicate. Deactivate the duplicates in Procurify, "
                "or pair the right one by hand (`ml-connector xref set <vendor id> "
                f"{number}`), then replay"
            )
            candidates = [str(v.get("id")) for v in same[:10]]
            raise VendorRefused(
                said, Refusal("ambiguous", said, {"system": SYSTEM, "candidates": candidates})
            )
        vendor = same[0]
        self.refuse_if_paired_elsewhere(record, vendor, "has the supplier's name")
        held = str(vendor.get("external_id") or "").strip()
        if held and held != number:
            raise VendorRefused(
                f"{who}: Procurify vendor {vendor.get('id')} has its name but carries external_id {held!r}, "
                "another supplier's key; not adopted. Correct the vendor's external_id in Procurify, or pair "
                f"the right vendor by hand (`ml-connector xref set <vendor id> {number}`), then replay"
            )
        return str(vendor["id"])

    def paired_elsewhere(
        self, record: Mapped, vendor: Mapping[str, object], other: str, how: str
    ) -> Exception:
        return VendorRefused(
            f"{self.who(record)}: Procurify vendor {vendor.get('id')} ({vendor.get('name')}) {how}, but it "
            f"is already paired with {self.supplier_words} {other}; not adopted, not changed. Pair the right "
            f"vendor by hand (`ml-connector xref set <vendor id> {record.natural_key['external_id']}`), "
            "then replay"
        )

    def no_email(self, record: Mapped) -> Exception:
        return VendorRefused.setting(
            f"{self.who(record)}: Procurify requires an e-mail on a new vendor and {self.system} gives none; "
            f"set {self.fallback_setting}, then replay",
            self.fallback_setting,
        )

    def created(self, record: Mapped, vendor_id: str) -> None:
        self._paired(record, vendor_id)

    def update(self, target_id: str, record: Mapped) -> Unchanged | None:
        paired = self.pairing.paired_vendor(self.ledger, record.source_key)
        if paired is not None and paired != target_id:
            raise VendorRefused(
                f"{self.who(record)} was written to Procurify vendor {target_id}, but the ledger now pairs "
                f"it with vendor {paired} (a match entered by hand); not written to either. Delete this "
                "flow's old cross-reference or the manual match, then replay"
            )
        vendor = self.vendor_now(target_id)
        changes = vendor_writes.vendor_changes(vendor, record.body, vendor_writes.email_when_none)
        if "name" in changes and self.pairing.manual_vendor(self.ledger, record.source_key) == target_id:
            # matched by hand: the names differ on purpose, and neither side is renamed after the other
            del changes["name"]
        if changes:
            self.session.update_vendor(int(target_id), changes)
        self._paired(record, target_id)
        return None if changes else Unchanged(f"Procurify vendor {target_id} already holds these values")

    def _paired(self, record: Mapped, vendor_id: str) -> None:
        """Record the pair at once (before the flow kit does, so a released record replayed this second
        finds it) and release the records held on the vendor."""
        self.ledger.record_target(
            self.pairing.integration,
            SUPPLIER_ENTITY,
            self.pairing.system,
            record.source_key,
            PROCURIFY,
            target_id=vendor_id,
            content_hash=record.content_hash(),
        )
        release_held(
            self.ledger,
            self.pairing.vendor_dependency(vendor_id),
            f"released: Procurify vendor {vendor_id} is paired with {self.who(record)} since {released_at()} "
            "UTC; due for replay",
            run_id=self.run_id,
            what=f"Procurify vendor {vendor_id}",
            log=log,
        )


@contextmanager
def open_vendors(
    target: type[ProcurifyVendorTarget],
    procurify: SessionSource[ProcurifySession],
    ledger: Ledger,
    run_id: str | None = None,
    run: object = None,
) -> Iterator[ProcurifyVendorTarget]:
    """``target`` on a session of ``procurify``, with the ledger for the pairs and ``run``'s vendor list."""
    with procurify.session() as session:
        yield target(session, ledger, run_id, run)
