"""What Procore -> JD Edwards is, whichever instance runs it (what an instance may reach through a connection
of its own, ``components.apartness``), and ``Own``: one instance as every module of the package sees it."""

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from connector_assets.flows.instance import Instance
from connector_assets.flows.pair_sync import PairSync
from connector_assets.flows.replay_resources import resources_from_settings
from connector_assets.flows.target_boundary import is_placeholder
from connector_assets.flows.targets import FlowRoute
from connector_resources.ledger import Ledger

from .cost_codes import CostCodeMap, cost_code_tables
from .procore_side import ProcoreSide

# Procore may be its own: such an instance stages its own Procore company's records and reads them through
# the run's ``procore`` resource (``procore_side``), never the deployment's staged ones; its writes back to
# Procore (vendor marks, supplier changes) go through that resource too. JD Edwards stays the deployment's:
# two instances write into one JDE.
OWN_CONNECTIONS: tuple[str, ...] = ("procore",)


@dataclass(frozen=True)
class Own:
    """One instance's name and settings (``it``), its routes (Procore -> JDE; JDE -> Procore for supplier
    changes back to the linked vendors), the sync times of the vendor pairs both write (``pairs``), what a
    replay works with (``resources``: one function, so a replay builds them once), where it reads Procore
    and its cost code map (``costs``, on its own tables). Why one object: every flow, target and comparison
    asks these of its instance; ``wiring.build`` makes it once and hands it down."""

    it: Instance
    route: FlowRoute
    suppliers_route: FlowRoute
    pairs: PairSync
    resources: Callable[[], dict[str, Any]]
    procore: ProcoreSide
    costs: type[CostCodeMap]

    @classmethod
    def of(cls, it: Instance) -> "Own":
        name = it.instance
        return cls(
            it,
            FlowRoute(name, source_system="procore", target_system="JDE"),
            FlowRoute(name, source_system="JDE", target_system="procore"),
            PairSync(name),
            partial(resources_from_settings, ("jde", "procore", "staging"), instance=name),
            ProcoreSide.of(name),
            type("CostCodeMap", (CostCodeMap,), {"tables": cost_code_tables(it)}),  # refusals name its tables
        )

    @property
    def name(self) -> str:
        return self.it.instance

    def statuses(self, short: str) -> frozenset[str]:
        """A status list setting (lower case), compared case-insensitively (Procore capitalises some)."""
        return frozenset(self.it.setting(short))

    def written_target(self, ledger: Ledger, entity: str, source_key: str) -> str | None:
        """The JDE id the instance's cross-reference names for a Procore record, None when it names none
        (the record is not in JDE yet; in a preview, also when only the preview would create it: its JDE
        id, an order number, comes from the real write)."""
        xref = ledger.get_xref(self.name, entity, "procore", str(source_key), "JDE")
        target_id = xref.target_id if xref is not None else None
        return target_id if target_id and not is_placeholder(target_id) else None
