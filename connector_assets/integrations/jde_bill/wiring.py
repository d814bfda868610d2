"""What an instance of JD Edwards <-> BILL puts into Dagster and ``ml-connector replay`` (``build``): the
vendors and bills flows polling JDE in the JDE time zone, the payments flow started by BILL's webhooks (its
inbox sensor, reading the inbox of the instance's own endpoint on a BILL organization of its own:
``Own.bill``; its UTC poll schedule the fallback), the vendor pairing and the reconciliation, all named
after the instance; each flow's replays are its own (``Flow.replay``).
"""

from connector_assets.bill.documents import PAYMENTS
from connector_assets.flows.assembly import IntegrationParts
from connector_assets.flows.documents import build_inbox_sensor
from connector_assets.flows.inbox_flows import inbox_flow_jobs
from connector_assets.flows.instance import Instance
from connector_assets.jde.flow_jobs import jde_poll_jobs
from connector_assets.jde.schedules import REFRESHED_APART
from connector_assets.saas.assets import saas_partitions
from connector_assets.saas.own_side import InstanceSide

from .bill_mappings import bill_tables
from .bills import bills_flow
from .integration import Own
from .manual_pairs import vendor_pairing
from .payments import payments_flow
from .reconcile.assets import reconciliation
from .vendors import vendors_flow


def build(it: Instance) -> IntegrationParts:
    """The instance's parts (its component type builds on them)."""
    tables, bill = bill_tables(it), InstanceSide(it.instance, "bill")
    vendors = vendors_flow(it)
    own = Own(it, vendors.spec, tables, bill)
    from_jde = jde_poll_jobs("BILL").build((vendors, bills_flow(own)))
    payments = payments_flow(own)
    # The polling fallback (the mapped step reads the day from BILL itself, ``bill.payments_read``): a few
    # minutes after each BILL poll (bill_sources_poll, */15) when that runs too, in UTC days.
    from_bill = inbox_flow_jobs(
        lambda spec: "BILL payments of a day (poll + webhook inbox) -> JDE voucher payments / journals.",
        lambda spec: (
            "Apply today's polled BILL payments to JDE (missed webhooks included); after midnight, close "
            "yesterday once."
        ),
        # Staged by the mapped step's own read (and the BILL poll for the deployment's organization).
        scheduled_apart=(PAYMENTS.asset, bill.key(PAYMENTS.asset), *REFRESHED_APART),
    ).build((payments,))
    # BILL's webhooks in the inbox -> runs of the payments job for the days the records changed on.
    source = bill.source(PAYMENTS)
    inbox_sensor = build_inbox_sensor(
        f"{it.instance}_inbox_sensor",
        from_bill.jobs[payments.spec],
        (source,),
        partitions_def=saas_partitions,
        run_key_prefix="bill-inbox",
        description="BILL payment and bill webhooks stored in the inbox (source "
        f"{source.inbox_source}) -> runs of {it.instance}_payments for the days the records changed on; "
        "other BILL event types are acknowledged, nothing to apply.",
    )
    return IntegrationParts.of(
        it.instance,
        [from_jde, from_bill],
        reconciliation=reconciliation(own),
        pairings=(vendor_pairing(it.instance),),
        sensors=[inbox_sensor],
        mapping_tables=tables,
        package=__name__.rpartition(".")[0],
    )
