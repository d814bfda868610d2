"""Procore vendors -> JD Edwards suppliers (``vendor_mappers``, ``linked_suppliers``), and the origin mark
written back (``vendor_mark_step``). Matching order, the mark and the 409: docs/integrations/procore_jde.md,
"The flows" (vendors, Procore -> JDE)."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, Self

from connector_assets.flows import pair_sync
from connector_assets.flows.assembly import Flow
from connector_assets.flows.assets import awaited_keys, build_flow_assets
from connector_assets.flows.core import FlowSpec, Mapped, Rejected, audit_skip
from connector_assets.flows.replays import Replay
from connector_assets.jde import targets
from connector_assets.jde.linked_suppliers import LinkedSuppliers
from connector_assets.jde.supplier_details import CONTACT_TABLES, contact_reads
from connector_assets.jde.supplier_numbers import SupplierNumbers, run_held
from connector_assets.jde.supplier_reads import changed_at, suppliers_among
from connector_assets.jde.tables import SUPPLIERS
from connector_assets.procore.companies import first_company, queued_companies, record_company, tagged
from connector_assets.procore.document_reads import step_kept
from connector_assets.procore.vendor_mark_step import build_vendor_marks
from connector_assets.procore.vendor_marks import OriginMark
from connector_assets.procore.vendor_target import (
    day_vendors,
    record_vendor,
    remember_held_vendor,
    vendors_by_id,
)
from connector_assets.saas.entities import saas_daily_partitions
from connector_resources.jde import optional_tables
from connector_resources.ledger import Ledger
from connector_resources.redaction import get_logger

from .integration import Own
from .vendor_mappers import (
    BANK_KEY,
    JdeSupplierRecord,
    VendorMatch,
    bank_fields,
    bank_numbers,
    format_origin,
    label,
    map_vendor,
    origin_format,
    parse_origin,
)

log = get_logger(__name__)


def vendor_an8(own: Own, ledger: Ledger, vendor_id: str, vendor: dict | None) -> str | None:
    """The JDE address number of a Procore vendor: the ledger's link first, then a parsable ``origin_id``
    (``JDE-V-10442`` or ``10442``); None when neither names one (the vendor is not in JDE yet)."""
    linked = own.written_target(ledger, "vendor", vendor_id)
    if linked:
        return linked
    an8 = parse_origin((vendor or {}).get("origin_id"), origin_format(own.it))
    return str(an8) if an8 else None


def supplier_numbers(own: Own, ledger: Ledger, jde: Any | None, context: Any = None) -> SupplierNumbers:
    """A Procore vendor's JDE supplier (``SupplierNumbers``): the cross-reference, else the AN8 its
    ``origin_id`` names when JDE holds it (without ``jde``: the cross-reference only); None holds."""
    return SupplierNumbers(
        jde,
        lambda vendor_id: vendor_an8(own, ledger, vendor_id, None),
        lambda vendor: parse_origin((vendor or {}).get("origin_id"), origin_format(own.it)),
        "Procore",
        run_held(context),  # what JDE was asked, kept for the run's days
    )


def remember_vendor_hold(ledger: Ledger, vendors: FlowSpec, record: Mapped | Rejected, company: int) -> None:
    """An order or voucher held on its vendor (the ``vendors`` flow's record): the vendor's company is
    remembered for that flow, which then reads the awaited vendor in its company even when it was not
    staged (unchanged) that day."""
    remember_held_vendor(ledger, vendors.integration, vendors.dependency_key(""), record, company)


def vendor_records(
    own: Own,
    spec: FlowSpec,
    ledger: Ledger,
    jde: Any,
    vendors: list[dict[str, Any]],
    default_company: int | None = None,
    *,
    named_by_replay: bool = False,
) -> Iterator[Mapped | Rejected]:
    """``vendors`` as supplier records of ``own``'s vendors flow (``spec``: matched, checked against JDE,
    conflicts decided), each with its company. A day's run leaves out our own writes' echoes; a replay
    (``named_by_replay``) maps each vendor asked for, the content hash skipping one up to date."""
    if not vendors:
        return  # no JDE session opened for an empty day
    fmt, company, bank = origin_format(own.it), own.it.setting("vendor_company"), bank_fields(own.it)
    linked: dict[str, int] = {}
    named: dict[str, int] = {}
    for vendor in vendors:
        key = str(vendor["id"])
        if an8_linked := own.written_target(ledger, "vendor", key):
            linked[key] = int(an8_linked)
        elif (an8 := parse_origin(vendor.get("origin_id"), fmt)) is not None:
            named[key] = an8
    with jde.session() as session:
        held = suppliers_among(session, named.values())
        stamps = changed_at(session, linked.values())
    for vendor in vendors:
        key = str(vendor["id"])
        if key in linked:
            since = own.pairs.synced_at(ledger, key)
            edited = pair_sync.parse_stamp(vendor.get("updated_at"))
            if not named_by_replay and pair_sync.only_ours(edited, since):
                continue  # changed only by our own writes since the last sync
            verdict = pair_sync.decide("Procore", edited, "JDE", stamps.get(linked[key]), since)
            if not verdict.writes:
                audit_skip(ledger, spec, key, verdict.conflict)
                continue
            match = VendorMatch(linked[key], True, True)
        else:
            an8 = named.get(key)
            match, verdict = VendorMatch(an8, an8 in held, False), pair_sync.Verdict(True)
        record = map_vendor(vendor, company=company, match=match, bank=bank, origin_fmt=fmt)
        if record is None:
            log.info("%s is inactive and was never a JDE supplier: not sent", label(vendor))
            continue
        record = pair_sync.with_conflict(record, verdict.conflict)
        yield record if default_company is None else tagged(record, record_company(vendor, default_company))


class ProcoreSuppliers(LinkedSuppliers):
    """The JDE side's supplier target for Procore vendors (``jde.linked_suppliers``): bank numbers read
    from the vendor in its company at write time, the pair's sync time recorded on a write. An instance
    writes through a subclass of its own (``vendors_flow``): its bank fields, its pairs."""

    own: ClassVar[Own]

    @classmethod
    @contextmanager
    def open_on(cls, resource: Callable[[str], Any], held: targets.Held) -> Iterator[Self]:
        """On one JDE session and Procore's company sessions (the vendor's bank numbers are read there)."""
        procore, (ledger, run_id, partition, spec), own = resource("procore"), held[:4], cls.own

        def bank(record: Mapped) -> tuple[str, str]:
            fields = bank_fields(own.it)
            return bank_numbers(record_vendor(procore, sessions, ledger, own.name, record), fields)

        def inactive(record: Mapped) -> str:
            return (
                f"Procore vendor {record.source_key} is inactive and is in no JDE supplier; an inactive "
                "vendor is never added to JDE. Reactivate it in Procore, or link it by setting its origin_id"
            )

        def written(record: Mapped, an8: str) -> None:
            own.pairs.pair_written(
                ledger, record.source_key, record, spec, an8, run_id=run_id, partition=partition
            )

        with resource("jde").session() as session, procore.company_sessions() as sessions:
            yield cls(
                session, *held, bank_key=BANK_KEY, bank=bank, inactive=inactive, written=written,
                source_label="Procore",
            )  # fmt: skip


def vendors_flow(own: Own) -> Flow:
    """``own``'s vendors flow: its Procore vendors as JDE suppliers, the origin mark written back."""

    def map_vendors(context: Any, partition: str | None) -> Iterator[Mapped | Rejected]:
        """The partition's changed Procore vendors, and those held records wait for, as JDE suppliers."""
        resources = context.resources
        ledger = resources.ledger.get()
        awaited = awaited_keys(context, partition, spec)
        staged = own.procore.vendors
        vendors = day_vendors(
            resources.staging, staged, partition, ledger, own.name, resources.procore, awaited
        )
        optional_tables.announce(context.log, f"{own.name} {spec.name}", CONTACT_TABLES)
        with optional_tables.refusal_explained():
            default = first_company(resources.procore)
            yield from vendor_records(own, spec, ledger, resources.jde, vendors, default)

    def remap_vendors(context: Any, keys: list[str]) -> Iterator[Mapped | Rejected]:
        """The named vendors read from Procore again and mapped with today's settings (replay)."""
        resources = context.resources
        ledger = resources.ledger.get()
        wanted = [k for k in keys if k.isdigit()]
        queued = queued_companies(ledger, own.name, spec.name, wanted, 0)  # 0: the item names none
        # the vendors the run's mapping steps read already (a pull's vendors: those of the orders just mapped)
        kept = lambda company: step_kept(context, company).vendors  # noqa: E731
        vendors = vendors_by_id(
            resources.procore, ledger, own.name, wanted, {k: c for k, c in queued.items() if c}, kept
        )
        with optional_tables.refusal_explained():
            yield from vendor_records(
                own,
                spec,
                ledger,
                resources.jde,
                vendors,
                first_company(resources.procore),
                named_by_replay=True,
            )

    target = type("ProcoreSuppliers", (ProcoreSuppliers,), {"own": own})
    spec = own.route.flow(
        "vendors",
        "vendor",
        JdeSupplierRecord,
        map_records=map_vendors,
        remap=remap_vendors,
        target=target,
        # F0101 searched by tax ID / ALKY, F0401 for an origin_id's supplier; F0116 / F0115 / F01151 for JDE's
        # latest change stamp (newer wins, ``jde.supplier_details``), each only while its setting is on.
        reads={
            "JDE": (targets.ADDRESS_BOOK_TABLE, SUPPLIERS.table, *contact_reads()),
            "procore": ("vendors",),
        },
        writes={"procore": ("vendors",)},  # the origin mark, beside the target's suppliers
    )
    assets = [
        *build_flow_assets(spec, partitions_def=saas_daily_partitions(), upstream=[own.procore.vendors]),
        # origin_id / origin_code back onto the vendor, after the write
        build_vendor_marks(
            spec,
            saas_daily_partitions(),
            lambda: origin_mark(own, spec),
            erp="JDE",
            erp_id="the JDE address number",
        ),
    ]
    # The replay's target holds the replay's ledger: it records the pair's sync time and its verdicts there.
    return Flow(spec, assets, replay=Replay(target.for_replay, own.resources))


def origin_mark(own: Own, spec: FlowSpec) -> OriginMark:
    """``own``'s marks: the JDE address number as ``origin_id`` (in the configured format, read once per
    run) and ``origin_code``; a written mark also moves the pair's sync time."""
    fmt = origin_format(own.it)
    return OriginMark(
        integration=own.name,
        flow=spec.name,
        target_system="JDE",
        target_label="JDE supplier",
        values=lambda an8: {"origin_id": format_origin(an8, fmt), "origin_code": str(int(an8))},
        marked=own.pairs.mark_synced,
    )
