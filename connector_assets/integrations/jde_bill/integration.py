"""What JD Edwards <-> BILL is for whichever instance runs it: its flows' routes and replays' resources,
named after the instance, what it may reach through a connection of its own, and ``Own``: what an
instance's flows and reconciliation share, built once in ``wiring.build``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from connector_assets.flows.replay_resources import resources_from_settings
from connector_assets.flows.targets import FlowRoute

if TYPE_CHECKING:
    from connector_assets.flows.core import FlowSpec
    from connector_assets.flows.instance import Instance
    from connector_assets.saas.own_side import InstanceSide

    from .bill_mappings import BillTables

# What an instance may reach through a connection of its own (``components.apartness``): another BILL
# organization (``Own.bill``). JD Edwards is read from the tables the JDE side stages for every instance.
OWN_CONNECTIONS = ("bill",)


def route(it: Instance, source: str = "JDE", target: str = "bill") -> FlowRoute:
    """JDE -> BILL (vendors, bills), or BILL payments back into JDE (``payments``), in the instance's name."""
    return FlowRoute(it.instance, source_system=source, target_system=target)


def settings_resources(it: Instance) -> Any:
    """What a replay of the instance's flows reads and writes with: today's settings (the instance's own
    connections first), built once per replay."""
    return partial(resources_from_settings, ("jde", "bill", "staging"), instance=it.instance)


@dataclass(frozen=True)
class Own:
    """What an instance's flows and reconciliation read: the instance (its name keys the ledger rows; its
    settings are read when a run asks), its vendors flow (what a bill waits for), its tables and its BILL:
    the deployment's staged chart of accounts, departments and payments (with BILL's webhooks), or on an
    organization of its own, copies of its own (``<instance>/bill_payments`` ...) and the inbox of its own
    endpoint (``/webhooks/<instance>_bill``, its connection's ``webhook_key``), its poll the fallback."""

    it: Instance
    vendors: FlowSpec
    tables: BillTables
    bill: InstanceSide

    @property
    def instance(self) -> str:
        return self.it.instance
