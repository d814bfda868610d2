"""What one instance's flows, replays and reconciliation share, made once by ``wiring.build``."""

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from connector_assets.flows.instance import Instance
from connector_assets.flows.replay_resources import resources_from_settings
from connector_assets.flows.targets import FlowRoute
from connector_assets.procurify.vendor_pairing import VendorPairing

from .charge_accounts import ChargeTables
from .manual_matches import ManualMatches
from .manual_pairs import manual_pairing
from .procurify_side import ProcurifySide
from .vendor_pairs import vendor_pairing


@dataclass(frozen=True)
class Own:
    """The instance (its name and settings), where it reads Procurify, its charge tables, its vendor pairs,
    its manual matches, its two routes, and what a replay outside a run opens (``resources``: both systems
    and the staging from today's settings, its own connections first; one function, so every flow's replay
    shares what it built)."""

    it: Instance
    procurify: ProcurifySide
    charges: ChargeTables
    pairing: VendorPairing
    matches: ManualMatches
    route: FlowRoute  # Procurify -> Fusion: vendors paired with suppliers, purchase orders, invoices
    back: FlowRoute  # Fusion -> Procurify: account codes, suppliers, payment status
    resources: Callable[[], dict[str, Any]]

    @classmethod
    def of(cls, it: Instance) -> "Own":
        name, procurify = it.instance, ProcurifySide(it.instance)
        return cls(
            it,
            procurify,
            ChargeTables.of(it, procurify),
            vendor_pairing(name),
            ManualMatches(it.variable("vendor_xref"), manual_pairing(name)),
            FlowRoute(name, source_system="procurify", target_system="fusion"),
            FlowRoute(name, source_system="fusion", target_system="procurify"),
            partial(resources_from_settings, ("fusion", "procurify", "staging"), instance=name),
        )

    @property
    def name(self) -> str:  # the instance's: it keys its assets, jobs, ledger rows and settings
        return self.it.instance
