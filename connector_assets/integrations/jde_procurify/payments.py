"""Procurify payments -> JD Edwards, once per bill paid, on the bill's voucher (``ML_RecordPayment``) or as a
journal entry. A bill not posted yet holds its payment; one exported elsewhere skips it
(``bills_taken_elsewhere``); a repeat is recognised by reading JDE back (F0414, F0911Z1); never reversed.
Depth: docs/integrations/jde_procurify.md, "The flows" (payments).
"""

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import partial
from typing import Any

from dagster import AssetExecutionContext

from connector_assets.asset_keys import asset_key
from connector_assets.flows.assembly import Flow
from connector_assets.flows.assets import build_flow_assets
from connector_assets.flows.core import FlowSpec, Mapped, Rejected, Skipped, skips_audited
from connector_assets.flows.instance import Instance
from connector_assets.flows.replay_resources import resources_from_settings
from connector_assets.flows.replays import Replay
from connector_assets.jde import targets
from connector_assets.jde.accounts import GlAccounts
from connector_assets.jde.payment_postings import posted_to_reverse
from connector_assets.jde.posted_documents import PostedDocument
from connector_assets.jde.postings import PaymentPostings
from connector_assets.jde.tables import AP_LEDGER, GL_ACCOUNTS
from connector_assets.jde.target_base import JDE_CHECKS
from connector_assets.jde.undone_payments import posted_shares, reversal_asked
from connector_assets.jde.unprocessed_batches import unprocessed_checks
from connector_assets.procurify.payments import (
    PaymentBills,
    PaymentVersion,
    payment_uuid,
    payments_found_again,
    staged_payments,
)
from connector_assets.procurify.vendor_list import vendors_for_run
from connector_assets.runtime.session_source import SessionSource
from connector_assets.runtime.staging import StagingResource
from connector_assets.saas.assets import saas_partitions
from connector_resources.held_parents import gone_parents
from connector_resources.jde.session import JdeSession
from connector_resources.ledger import Ledger
from connector_resources.procurify.session import ProcurifySession

from .bills import posted_as
from .own import Own
from .payment_mappers import JournalAccounts, PostingRules, ProcurifyPaymentRecord, map_payment

ENTITY = "payment"


def posting_rules(staging: StagingResource, it: Instance) -> PostingRules:
    """``it``'s posting mode and, for journals, the accounts as F0901 has them (the cache must exist then):
    the bills flow's journal credit (its AP account) is the payment's debit; the vendors' A/P company
    stands in when a bill's batch names none."""
    mode = it.setting("bill_posting")
    journal = (
        JournalAccounts.checked(
            GlAccounts.load(staging), it.variable("ap_account"), it.variable("payment_bank_account")
        )
        if mode == "journal"
        else JournalAccounts(None, None)
    )
    company = str(it.setting("vendor_company")).strip()
    return PostingRules(mode, str(it.setting("batch_user")).strip(), company, journal)


def bills_taken_elsewhere(
    ledger: Ledger, bills: Iterable[str], bill_dependency: Callable[[str], str]
) -> dict[str, str]:
    """Bill uuid -> why, for those of ``bills`` another process exported (the bills flow's never-written
    skip, ``held_parents.gone_parents``; no flow check asked): their payments are skipped, not held.
    ``bill_dependency``: what a payment of a bill waits for (the bills flow's key of it,
    ``<instance>:bill:procurify:<uuid>``)."""
    keys = {bill_dependency(bill): bill for bill in bills}
    gone = gone_parents(ledger, keys, checks={})
    return {keys[key]: parent.why for key, parent in gone.items() if parent.taken_elsewhere}


def payment_records(
    own: Own,
    bills: FlowSpec,
    ledger: Ledger,
    staging: Any,
    procurify: SessionSource[ProcurifySession],
    jde: SessionSource[JdeSession],
    versions: Iterable[PaymentVersion],
    log: logging.Logger | None = None,
    skip_elsewhere: bool = False,
    run_id: str | None = None,
) -> Iterator[Mapped | Rejected | Skipped]:
    """``versions`` that Procurify paid, mapped as ``own``'s (each share waiting for ``bills`` to post its
    bill); those JDE holds that are no longer paid, queued for a person. Procurify is read (bill groups) and
    JDE too (a journal's company) only when there is something to map. ``skip_elsewhere``: a share of a
    bill another process exported is skipped (a run's mapped step); a replay maps it held, and the replay
    skips it (``held_parents.refuse_if_parent_gone``). ``run_id``: the run whose days share the vendor list
    the payments' bills are found by."""
    statuses, versions = frozenset(own.it.setting("paid_statuses")), list(versions)
    chosen = [v for v in versions if str(v.record.get("status") or "").lower() in statuses]
    for version in versions:
        if version not in chosen:
            yield from undone_after_posting(own, ledger, version.record)
    if log is not None:
        log.info(f"{len(chosen)} of {len(versions)} Procurify payment(s) in {sorted(statuses)}")
    if not chosen:
        return
    rules = posting_rules(staging, own.it)
    with procurify.session() as session:
        reader = PaymentBills(session, None if run_id is None else vendors_for_run(run_id))
        reader.read_ahead([v.record for v in chosen])
        paid = [(v, reader.of_payment(v.record)) for v in chosen]
    posted = {str(b["uuid"]): posted_as(own.name, ledger, str(b["uuid"])) for _v, bs in paid for b in bs}
    unposted = [bill for bill, target in posted.items() if target is None]
    dependency = bills.dependency_key
    elsewhere = bills_taken_elsewhere(ledger, unposted, dependency) if skip_elsewhere and unposted else {}
    companies: dict[str, str] = {}
    if rules.posting == "journal":
        batches = {k: p for k, t in posted.items() if (p := PostedDocument.parse(t)) and p.batch is not None}
        if batches:
            with jde.session() as jde_session:
                read = {k: p.batch_company(jde_session) for k, p in batches.items()}
                companies = {k: c for k, c in read.items() if c is not None}
    for version, paid_bills in paid:
        yield from map_payment(
            version.record, version.updated_at, paid_bills, posted, rules, dependency, companies, elsewhere
        )


def undone_after_posting(own: Own, ledger: Ledger, payment: Mapping[str, object]) -> Iterator[Rejected]:
    """A payment ``own``'s JDE holds that Procurify no longer counts as paid: the integration never reverses
    a JDE posting, so it asks a person to, until they say it is done (an item abandoned since the posting is
    not raised again by later runs)."""
    uuid = payment_uuid(payment)
    if not uuid:
        return
    status, label = str(payment.get("status") or "no longer paid"), payment.get("id") or uuid
    source = own.back_route.source_system
    for key, target_id in posted_shares(ledger, own.name, ENTITY, source, uuid).items():
        if posted_to_reverse(ledger, own.name, ENTITY, source, key) is None:
            continue
        undone = f"Procurify payment {label} of bill {key.split(':', 1)[1]} is now {status} in Procurify"
        yield reversal_asked(key, undone, target_id)


class ProcurifyPayments(PaymentPostings):
    """JDE's payment postings (``jde.postings``) of Procurify payments."""

    source_label = "Procurify"
    changed_since = "amount or date changed in Procurify, or the posting or account settings changed since"


def payments_flow(own: Own, bills: FlowSpec) -> Flow:
    """``own``'s payments flow, each payment after ``bills`` posted its bills."""

    def map_payments(context: AssetExecutionContext, partition: str | None) -> Iterator[Mapped | Rejected]:
        """The partition's staged Procurify payments, mapped."""
        r, ledger = context.resources, context.resources.ledger.get()
        versions = staged_payments(r.staging, own.procurify.payments, partition)
        run_id = context.run.run_id
        records = payment_records(
            own, bills, ledger, r.staging, r.procurify, r.jde, versions, context.log, True, run_id
        )
        yield from skips_audited(spec, ledger, records, run_id=run_id, partition=partition)

    def remap_payments(context: Any, keys: list[str]) -> Iterator[Mapped | Rejected | Skipped]:
        """The named (payment, bill) records read from Procurify again and mapped with today's settings
        (replay). The public API reads payments by integer id only (``ids``), so each is found through its
        bill (``procurify.payments.payments_found_again``)."""
        r = context.resources
        with r.procurify.session() as session:
            versions = payments_found_again(session, keys)
        wanted = set(keys)
        found = payment_records(own, bills, r.ledger.get(), r.staging, r.procurify, r.jde, versions.values())
        for record in found:
            if record.source_key in wanted:
                yield record

    spec = own.back_route.flow(
        "payments",
        ENTITY,
        ProcurifyPaymentRecord,
        map_payments,
        remap_payments,
        ProcurifyPayments,
        reads={
            "procurify": ("bills",),  # the bills of each payment's groups
            # F0414: a payment JDE already holds, recognised by reading (``jde.payment_repeats``)
            "JDE": (
                targets.BATCH_TABLE,
                AP_LEDGER.table,
                targets.JOURNAL_TABLE,
                targets.PAYMENT_TABLE,
                *targets.PERIOD_TABLES,
            ),  # fmt: skip
        },
        # A day's refusals are facts about single payments (split, a bill never posted); what is systemic
        # (F0901 cache missing, a setting unreadable) fails the step before any record is mapped.
        systemic_share=1.0,
    )
    assets = [
        *own.procurify.own_payment_assets,  # an instance on a Procurify account of its own stages its own
        *build_flow_assets(
            spec,
            partitions_def=saas_partitions,
            # In one run, a bill posts before its payment.
            upstream=[own.procurify.payments, GL_ACCOUNTS.asset, asset_key(own.name, "bills_written")],
            parents=[bills],  # a bill approved before the first day, never posted, is pulled by the write
        ),
    ]
    # A replay maps each record again with today's ledger (a released hold now finds its voucher); payments
    # held until R04110ZA has made their bill's batch a voucher are released on the same JDE.
    replay = Replay(
        ProcurifyPayments.for_replay,
        partial(resources_from_settings, ("jde", "procurify", "staging"), instance=own.name),
        outside=(*JDE_CHECKS, unprocessed_checks),
    )
    return Flow(spec, assets, replay=replay)
