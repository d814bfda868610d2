"""JD Edwards suppliers (F0401 + F0101, contact details from F0116 / F0115 / F01151) -> Procurify vendors,
each read whole from JDE and mapped by ``supplier_mappers``; matched by the ledger's pair, then
``external_id`` = AN8, never by name. One the ``vendors`` flow made is never sent back (no second vendor, no
echo). Which suppliers and the echo rules: docs/integrations/jde_procurify.md, "The flows" (suppliers)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from typing import Any

from dagster import AssetExecutionContext

from connector_assets.flows.assembly import Flow
from connector_assets.flows.assets import awaited_keys, build_flow_assets
from connector_assets.flows.core import Mapped, Rejected
from connector_assets.flows.replay_resources import resources_from_settings
from connector_assets.flows.replays import Replay
from connector_assets.jde import assets as jde_staging
from connector_assets.jde.kept_rows import read_for_run
from connector_assets.jde.supplier_change_flows import supplier_changes_flow
from connector_assets.jde.supplier_details import CONTACT_TABLES, SUPPLIER_SOURCES
from connector_assets.jde.supplier_documents import (
    SupplierDocument,
    changed_suppliers,
    inactive_reason,
    read_suppliers,
)
from connector_assets.procurify import vendor_target
from connector_assets.procurify.vendor_list import vendors_for_run
from connector_assets.procurify.vendor_target import (
    KeyedVendors,
    open_vendors,
)
from connector_assets.runtime.staging import StagingResource
from connector_resources.jde import optional_tables
from connector_resources.ledger import Ledger

from .own import Own
from .supplier_mappers import ProcurifyVendorRecord, map_supplier
from .vendor_pairs import VENDOR_ENTITY


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def only_ours(ledger: Ledger, document: SupplierDocument, integration: str) -> bool:
    """Whether JDE's latest change to the supplier is the ``vendors`` flow's own write of the pair (in
    ``integration``'s ledger): its stamp is before the second that flow recorded the pair in (JDE stamps
    count whole seconds, so an edit in that same second is taken for a person's and compared field by
    field)."""
    written = ledger.find_xref_by_target(integration, VENDOR_ENTITY, "JDE", str(document.number))
    changed = getattr(document.details, "changed_at", None)
    if written is None or not written.target_id or changed is None:
        return False
    return _utc(changed) < _utc(written.updated_at).replace(microsecond=0)


def supplier_records(
    own: Own, ledger: Ledger, documents: Iterable[SupplierDocument], *, fallback: str | None = None
) -> Iterator[Mapped | Rejected]:
    """The suppliers read (``read_suppliers``) as ``own``'s Procurify vendor records (the module
    docstring's rules); ``fallback``: the e-mail a new vendor gets when JDE has none (its setting unless
    given)."""
    email: str = own.it.setting("vendor_fallback_email") if fallback is None else fallback
    variable, addresses = own.it.variable("vendor_fallback_email"), own.long_addresses()

    def origin(document: SupplierDocument) -> str | None:  # the Procurify vendor a PFY<id> ALKY names
        return addresses.id_of((document.book or {}).get("ALKY"))

    def one(document: SupplierDocument, vendor_id: str | None) -> Mapped | Rejected:
        made_from = origin(document)
        if vendor_id is None and made_from is not None:  # held until the vendors flow records the pair
            held = map_supplier(document, fallback_email=email, fallback_setting=variable, paired=True)
            return (
                replace(held, depends_on=own.pairing.vendor_dependency(made_from))
                if isinstance(held, Mapped)
                else held
            )
        paired = vendor_id is not None
        ours = paired and only_ours(ledger, document, own.name)
        return map_supplier(
            document, fallback_email=email, fallback_setting=variable, paired=paired, only_ours=ours
        )

    yield from vendor_target.supplier_records(
        documents,
        lambda document: own.pairing.paired_vendor(ledger, str(document.number)),
        lambda document: origin(document) is None and bool(inactive_reason(document)),
        one,
        "JDE supplier",
    )


def procurify_vendors(own: Own) -> type[KeyedVendors]:
    """``own``'s Procurify side of ``suppliers``: found by pair then ``external_id`` = AN8, created,
    PATCHed with only what differs (``procurify.vendor_target.KeyedVendors``)."""

    class ProcurifyVendors(KeyedVendors):
        pairing = own.pairing
        supplier_words = "JDE supplier"
        fallback_setting = own.it.variable("vendor_fallback_email")
        email_missing = "no e-mail address in F01151 and no Procurify vendor to keep its own; add one in JDE"

    return ProcurifyVendors


def suppliers_flow(own: Own) -> Flow:
    """``own``'s suppliers flow."""
    target = procurify_vendors(own)

    def staged_numbers(staging: StagingResource, ledger: Ledger, partition: str | None) -> set[int]:
        """Address numbers of the day's changed suppliers (``jde.supplier_documents.changed_suppliers``);
        one ledger query per 500 numbers says which of the other search types this flow synced before."""

        def synced(an8s: set[int]) -> set[int]:
            keys = {own.pairing.supplier_dependency(an8): an8 for an8 in an8s}
            return {keys[key] for key in ledger.synced_dependencies(set(keys))}

        return changed_suppliers(staging, partition, synced)

    def map_suppliers(context: AssetExecutionContext, partition: str | None) -> Iterator[Mapped | Rejected]:
        """The JDE day's changed suppliers (and those held records wait for) as Procurify vendors."""
        resources = context.resources
        ledger = resources.ledger.get()
        numbers = staged_numbers(resources.staging, ledger, partition)
        numbers |= {int(k) for k in awaited_keys(context, partition, spec) if k.isdigit()}
        optional_tables.announce(context.log, f"{own.name} {spec.name}", CONTACT_TABLES)

        def every_day(days: list[str | None]) -> None:
            wanted = (staged_numbers(resources.staging, ledger, day) for day in days)
            read_suppliers(resources.jde, set().union(*wanted))

        with optional_tables.refusal_explained():
            with read_for_run(context, spec.name, every_day):
                documents = read_suppliers(resources.jde, numbers)
            yield from supplier_records(own, ledger, documents)

    def remap_suppliers(context: Any, keys: list[str]) -> Iterator[Mapped | Rejected]:
        """The named suppliers read from JDE again and mapped with today's settings (replay)."""
        resources = context.resources
        numbers = {int(k) for k in keys if k.isdigit()}
        with optional_tables.refusal_explained():
            yield from supplier_records(own, resources.ledger.get(), read_suppliers(resources.jde, numbers))

    def vendors_of_run(context: Any) -> Any:
        resources, run = context.resources, vendors_for_run(context.run.run_id)  # the bills step's list
        return open_vendors(target, resources.procurify, resources.ledger.get(), run=run)

    spec = supplier_changes_flow(
        own.route, ProcurifyVendorRecord, map_suppliers, remap_suppliers, vendors_of_run
    )
    assets = build_flow_assets(
        spec, partitions_def=jde_staging.jde_partitions, upstream=list(SUPPLIER_SOURCES)
    )
    # Built once a replay: today's settings, the instance's own connections first.
    resources = partial(resources_from_settings, ("jde", "procurify", "staging"), instance=own.name)
    return Flow(spec, assets, replay=Replay(target.for_replay, resources))
