"""Procore vendors -> JD Edwards suppliers (``vendors``), and the origin mark written back onto the vendor.

Which vendors a day holds: those the staged ``procore_vendors`` partition holds (changed that day, by
``updated_at``), and those a held record waits for. Each is mapped by ``vendor_mappers.map_vendor`` into the
inputs of ``ML_AddUpdateSupplier`` and written through ``supplier_target.ProcoreJdeSuppliers`` (a
``connector_assets.jde.targets.Suppliers``).

Matching before a create, in this order: the ledger's cross-reference; a parsable ``origin_id`` (the
vendor says which JDE supplier it is: adopted when JDE holds that address number, queued naming it when
JDE does not); the tax ID (F0101 TAX); the long address number ``PC<vendor id>`` (F0101 ALKY, what a
crashed attempt of ours left); only then a new supplier. A natural-key match that is already another
Procore vendor's supplier is refused by the kit (``XrefConflict``), never adopted.

After the write, ``procore_jde_vendors_marked`` (``vendor_marks``) writes ``origin_id``
(``ML_PROCORE_JDE_VENDOR_ORIGIN_FORMAT``) and ``origin_code`` (the bare address number) onto every vendor
the ledger shows written and not yet marked, whatever wrote it (a run, a replay, a run that died between
the JDE write and the mark): the way ``flows/export_marks.py`` marks Coupa's documents, asked of the
ledger rather than of the run. A vendor that already carries both is not written. Procore lets only one
integration own a vendor's ``origin_id``; a 409 ("owned by another integration") leaves the vendor as it
is, and the link lives in the ledger only: the audit event says so.

Newer wins (``vendor_sync``): when the vendor's JDE supplier was also edited since the pair was last
synced, the later edit is written and the other is not, and the audit says which edit was newer. A vendor
whose ``updated_at`` is before the second of the pair's last sync changed only by our own writes (the
origin mark, a JDE change sent to it) and is not sent back; one in that same second goes on to the content
hash, which skips it when nothing it sends changed.
"""

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from connector_assets.flows.assets import awaited_keys, build_flow_assets
from connector_assets.flows.core import Mapped, Rejected, replay_handler
from connector_assets.flows.replay_resources import resources_from_settings
from connector_assets.integrations.procore_jde import vendor_sync
from connector_assets.integrations.procore_jde.integration import INTEGRATION, ROUTE
from connector_assets.integrations.procore_jde.supplier_target import open_suppliers
from connector_assets.integrations.procore_jde.vendor_mappers import (
    COMPANY_SETTING,
    JdeSupplierRecord,
    VendorMatch,
    bank_fields,
    label,
    map_vendor,
    origin_format,
    parse_origin,
)
from connector_assets.integrations.procore_jde.vendor_marks import build_vendor_marks
from connector_assets.jde import targets
from connector_assets.jde.lookup import browse_in
from connector_assets.jde.supplier_details import CONTACT_TABLES, contact_reads
from connector_assets.jde.tables import SUPPLIERS
from connector_assets.procore.companies import (
    first_company,
    queued_companies,
    record_company,
    remember_vendor_company,
    tagged,
    vendor_company,
)
from connector_assets.procore.sources import COMPANY_FIELD
from connector_assets.saas import saas_daily_partitions
from connector_resources import settings
from connector_resources.jde import optional_tables
from connector_resources.ledger import Ledger, QueueItem
from connector_resources.redaction import get_logger
from connector_resources.replay import ReplayOutcome, register_replay_handler, shared_context, shared_value

log = get_logger(__name__)

STAGED_VENDORS = "procore_vendors"


def vendor_an8(ledger: Ledger, vendor_id: str, vendor: dict | None) -> str | None:
    """The JDE address number of a Procore vendor: the ledger's link first, then a parsable ``origin_id``
    (``JDE-V-10442`` or ``10442``); None when neither names one (the vendor is not in JDE yet)."""
    xref = ledger.get_xref(INTEGRATION, "vendor", "procore", str(vendor_id), "JDE")
    if xref is not None and xref.target_id:
        return xref.target_id
    an8 = parse_origin((vendor or {}).get("origin_id"), origin_format())
    return str(an8) if an8 else None


class Suppliers:
    """A Procore vendor's JDE supplier as the order and voucher flows may send it: the vendors flow's
    cross-reference, else the AN8 the vendor's ``origin_id`` names only when JDE holds that supplier (F0401,
    one lookup per number per step). Anything else is None, so the order or voucher is held on its vendor
    and released when the vendors flow syncs it: an origin id can name a supplier JDE never had (one typed
    in Procore, or a vendor the vendors flow refused), and sending it fails with JDE's 0002 (issue 30 #5).
    Without ``jde`` (a test's reader) only the cross-reference counts."""

    def __init__(self, ledger: Ledger, jde: Any | None) -> None:
        self.ledger, self.jde = ledger, jde
        self.held: dict[int, bool] = {}  # AN8 -> JDE holds it as a supplier

    def an8(self, vendor_id: str, vendor: Callable[[], dict[str, Any] | None]) -> str | None:
        """The supplier number, or None (hold on the vendor); ``vendor`` reads the Procore vendor, called
        only when the ledger does not know it."""
        linked = vendor_an8(self.ledger, vendor_id, None)
        if linked is not None or self.jde is None:
            return linked
        named = parse_origin((vendor() or {}).get("origin_id"), origin_format())
        if not named:
            return None
        if named not in self.held:
            with self.jde.session() as session:
                self.held[named] = named in _jde_suppliers_among(session, [named])
        if not self.held[named]:
            log.info(
                "Procore vendor %s: origin_id names JDE supplier %s, which JDE does not hold; held on the "
                "vendor until the vendors flow syncs it",
                vendor_id,
                named,
            )
        return str(named) if self.held[named] else None


# -- mapping -------------------------------------------------------------------------------------------------


def _jde_suppliers_among(session: Any, an8s: Iterable[int]) -> set[int]:
    """Which of these address numbers JDE holds as suppliers (an F0401 row)."""
    wanted = sorted(set(an8s))
    return (
        {int(r["AN8"]) for r in browse_in(session, SUPPLIERS.table, "AN8", wanted, ["AN8"])}
        if wanted
        else set()
    )


def _audit_conflict(
    ledger: Ledger, flow: str, entity: str, source: tuple[str, str], target: str, words: str
) -> None:
    ledger.audit(
        integration=INTEGRATION,
        flow=flow,
        entity=entity,
        action="skip",
        source_system=source[0],
        source_id=source[1],
        target_system=target,
        reason=words,
    )


def vendor_records(
    ledger: Ledger,
    jde: Any,
    vendors: list[dict[str, Any]],
    default_company: int | None = None,
    *,
    named_by_replay: bool = False,
) -> Iterator[Mapped | Rejected]:
    """``vendors`` (Procore records) as supplier records: matched, checked against JDE, conflicts decided;
    each kept with its Procore company (``_procore_company_id``, else ``default_company``) when one is
    given, for the bank read at write time and a replay.

    A day's run leaves out a linked vendor changed only by our own writes since the pair's last sync (its
    echo). A replay (``named_by_replay``) asked for each vendor by name, so each is mapped: the content hash
    then skips one whose supplier is already up to date, instead of the replay finding nothing to write
    (which happened whenever the replay fell in a later second than the vendor's last edit)."""
    if not vendors:
        return  # no JDE session opened for an empty day
    fmt, company, bank = origin_format(), settings.value(COMPANY_SETTING).strip(), bank_fields()
    linked: dict[str, int] = {}
    named: dict[str, int] = {}
    for vendor in vendors:
        key = str(vendor["id"])
        xref = ledger.get_xref(INTEGRATION, "vendor", "procore", key, "JDE")
        if xref is not None and xref.target_id:
            linked[key] = int(xref.target_id)
        elif (an8 := parse_origin(vendor.get("origin_id"), fmt)) is not None:
            named[key] = an8
    with jde.session() as session:
        held = _jde_suppliers_among(session, named.values())
        stamps = vendor_sync.jde_changed_at(session, linked.values())
    for vendor in vendors:
        key = str(vendor["id"])
        if key in linked:
            since = vendor_sync.synced_at(ledger, key)
            edited = vendor_sync.parse_procore_stamp(vendor.get("updated_at"))
            if not named_by_replay and vendor_sync.only_ours(edited, since):
                continue  # changed only by our own writes since the last sync
            verdict = vendor_sync.decide("Procore", edited, "JDE", stamps.get(linked[key]), since)
            if not verdict.writes:
                _audit_conflict(
                    ledger, VENDORS_FLOW.name, "vendor", ("procore", key), "JDE", verdict.conflict
                )
                continue
            match = VendorMatch(linked[key], True, True)
        else:
            an8 = named.get(key)
            match, verdict = VendorMatch(an8, an8 in held, False), vendor_sync.Verdict(True)
        record = map_vendor(vendor, company=company, match=match, bank=bank, origin_fmt=fmt)
        if record is None:
            log.info("%s is inactive and was never a JDE supplier: not sent", label(vendor))
            continue
        record = vendor_sync.with_conflict(record, verdict.conflict)
        yield record if default_company is None else tagged(record, record_company(vendor, default_company))


def _vendors_by_id(
    procore: Any, ledger: Ledger, keys: Iterable[str], queued: dict[str, int] | None = None
) -> list[dict[str, Any]]:
    """The vendors read by id, each in its company (the queued item's, else the one the ledger keeps,
    else the first), on one session per company; each read record says its company as a staged one does."""
    default = first_company(procore)
    found: list[dict[str, Any]] = []
    with procore.company_sessions() as sessions:
        for key in keys:
            company = (queued or {}).get(key) or vendor_company(ledger, INTEGRATION, key, default)
            found.append({**sessions.session(company).get("vendors", key), COMPANY_FIELD: company})
    return found


def remember_companies(ledger: Ledger, vendors: Iterable[dict[str, Any]]) -> None:
    """Keep each staged vendor's company in the ledger (the mark, the bank read, the JDE -> Procore PATCH
    and later days find it there); a vendor staged without one is the first company's, nothing kept."""
    for vendor in vendors:
        if vendor.get(COMPANY_FIELD) is not None and vendor.get("id") is not None:
            remember_vendor_company(ledger, INTEGRATION, str(vendor["id"]), int(vendor[COMPANY_FIELD]))


def map_vendors(context: Any, partition: str | None) -> Iterator[Mapped | Rejected]:
    """The partition's changed Procore vendors, and those held records wait for, as JDE suppliers."""
    resources = context.resources
    ledger = resources.ledger.get()
    vendors = [json.loads(row["record"]) for row in resources.staging.read_rows(STAGED_VENDORS, partition)]
    remember_companies(ledger, vendors)
    seen = {str(v["id"]) for v in vendors}
    awaited = [k for k in awaited_keys(context, partition, VENDORS_FLOW) if k.isdigit() and k not in seen]
    if awaited:
        vendors += _vendors_by_id(resources.procore, ledger, awaited)
    optional_tables.announce(context.log, f"{INTEGRATION} {VENDORS_FLOW.name}", CONTACT_TABLES)
    with optional_tables.refusal_explained():
        yield from vendor_records(ledger, resources.jde, vendors, first_company(resources.procore))


def remap_vendors(context: Any, keys: list[str]) -> Iterator[Mapped | Rejected]:
    """The named vendors read from Procore again and mapped with today's settings (replay)."""
    resources = context.resources
    ledger = resources.ledger.get()
    wanted = [k for k in keys if k.isdigit()]
    queued = queued_companies(ledger, INTEGRATION, VENDORS_FLOW.name, wanted, 0)  # 0: the item names none
    vendors = _vendors_by_id(resources.procore, ledger, wanted, {k: c for k, c in queued.items() if c})
    with optional_tables.refusal_explained():
        yield from vendor_records(
            ledger, resources.jde, vendors, first_company(resources.procore), named_by_replay=True
        )


def _suppliers_for_run(context: Any):
    partition = context.partition_key if context.has_partition_key else None
    resources = context.resources
    return open_suppliers(
        VENDORS_FLOW, resources.jde, resources.procore, resources.ledger.get(), context.run.run_id, partition
    )


VENDORS_FLOW = ROUTE.flow(
    "vendors",
    "vendor",
    JdeSupplierRecord,
    map_vendors,
    remap_vendors,
    _suppliers_for_run,
    # F0101 searched by tax ID / ALKY, F0401 for an origin_id's supplier; F0116 / F0115 / F01151 for JDE's
    # latest change stamp (newer wins, ``jde.supplier_details``), each only while its setting is on.
    reads={
        "JDE": (targets.ADDRESS_BOOK_TABLE, SUPPLIERS.table, *contact_reads()),
        "procore": ("vendors",),
    },
    writes={"JDE": (targets.ADD_UPDATE_SUPPLIER,), "procore": ("vendors",)},  # and the origin mark
)


vendor_assets = [
    *build_flow_assets(
        VENDORS_FLOW,
        partitions_def=saas_daily_partitions(),
        upstream=[STAGED_VENDORS],
        resource_keys={"jde", "procore"},
        group=INTEGRATION,
        kinds={"procore", "jde"},
    ),
    build_vendor_marks(VENDORS_FLOW, saas_daily_partitions()),  # origin_id / origin_code back onto the vendor
]


# -- replay --------------------------------------------------------------------------------------------------

REPLAY_RESOURCES = ("jde", "procore", "staging")


def _settings_resources() -> dict[str, Any]:
    return resources_from_settings(REPLAY_RESOURCES)


def register_ledger_replay(
    spec: Any, open_target: Any, resources: Callable[[], dict[str, Any]] = _settings_resources
) -> None:
    """Like ``register_settings_replay``, with the replay's ledger handed to the target too: these targets
    record the pair's sync time and their conflict verdicts there. ``resources``: today's ``jde``,
    ``procore`` and ``staging`` (from settings unless given)."""

    def handle(item: QueueItem, ledger: Ledger) -> ReplayOutcome:
        built = shared_value(("resources", INTEGRATION, id(resources)), resources)
        key = ("target", INTEGRATION, spec.name, id(resources))
        return replay_handler(
            spec, lambda: shared_context(key, lambda: open_target(built, ledger)), lambda: built
        )(item, ledger)

    register_replay_handler(INTEGRATION, spec.name, handle)


def register_vendor_replays(resources: Callable[[], dict[str, Any]] = _settings_resources) -> None:
    """``ml-connector replay`` for both vendor flows: the queued vendor (supplier) is read again from Procore
    (JDE) and written with today's settings (``resources``: today's ``jde``, ``procore``, ``staging``)."""
    from connector_assets.integrations.procore_jde.suppliers import SUPPLIERS_FLOW, open_vendor_patches

    register_ledger_replay(
        VENDORS_FLOW,
        lambda built, ledger: open_suppliers(
            VENDORS_FLOW, built["jde"], built["procore"], ledger, None, None
        ),
        resources,
    )
    register_ledger_replay(
        SUPPLIERS_FLOW, lambda built, ledger: open_vendor_patches(built["procore"], ledger, None), resources
    )
