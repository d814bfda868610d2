"""Where a flow writes: its route (integration, source and target system) and its target.

A SaaS target is the client's raw find / create / update on one session. Adoption and deduplication are
``write_one``'s (claim, search by natural key, adopt, create); a target only says how its system finds a
record by natural key and how it creates and updates one. What is the same for every such target
(holding the session, opening it for a run or for a replay, what it writes for ``ping``) is here once,
and ``FlowRoute.flow`` declares a flow from the few things that are its own.
"""

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from connector_assets.flows.core import FlowSpec
from connector_resources.bill.resource import DOCUMENTED_IN_FLIGHT_CAP, BillResource


class SessionTarget:
    """A target over one session of the resource named ``resource`` (``coupa``, ``bill``, ...), opened
    with ``session_options`` (e.g. the Coupa flow whose OAuth scopes it needs).

    ``write_concurrency`` and ``pool`` become the flow's ``FlowSpec.write_concurrency`` / ``write_pool``
    (``FlowRoute.flow``): how many records its write step writes at once on the one session (its
    workers share the session, its login and its client's in-flight cap), and the step's pool. Left
    None, the resource's defaults apply (``resource_write_options``: BILL 3 in ``bill_<org>``)."""

    resource: ClassVar[str]
    session_options: ClassVar[Mapping[str, Any]] = {}
    writes: ClassVar[tuple[str, ...]] = ()  # the entities it writes (what ``ml-connector ping`` checks)
    write_concurrency: ClassVar[int | None] = None
    pool: ClassVar[str | None] = None

    def __init__(self, session: Any) -> None:
        self.session = session
        # A write step with ``write_concurrency`` > 1 calls find / create / update from that many threads on
        # this one object: a target keeping state across records (an index of the target's records, built
        # once and added to) guards it with this lock. The session itself is safe to share.
        self.lock = threading.RLock()

    @property
    def max_in_flight(self) -> int | None:
        """The requests the session's client allows in flight at once, when it says (``write_workers``)."""
        cap = getattr(self.session, "max_in_flight", None)
        return cap if isinstance(cap, int) else None

    @classmethod
    @contextmanager
    def opened(cls, resource: Any) -> Iterator[Self]:
        """The target on a session of ``resource`` (the API resource itself), closed after the block."""
        with resource.session(**cls.session_options) as session:
            yield cls(session)

    @classmethod
    def for_run(cls, context: Any) -> AbstractContextManager[Self]:
        """``FlowSpec.open_target``: on the run's resource."""
        return cls.opened(getattr(context.resources, cls.resource))

    @classmethod
    def for_replay(cls, resources: Mapping[str, Any]) -> AbstractContextManager[Self]:
        """``register_settings_replay``'s opener: on the replay's resource."""
        return cls.opened(resources[cls.resource])


# Records a write step to BILL writes at once, per request BILL allows in flight: while the cap's requests
# are out, the other records do their ledger work (claim, record the id, audit) and their next request
# waits for a free slot, so no slot sits idle between a record's search and its create. Measured with
# bench/bill_in_flight.py (latency 300 ms): 3 records at once reach 0.80 of BILL's 3-in-flight ceiling,
# 6 reach 0.93; the client still never has more than 3 requests in flight.
RECORDS_PER_REQUEST_SLOT = 2


def resource_write_options(resource: str) -> tuple[int, str | None]:
    """How a write step to ``resource`` writes: records at once, and its pool (None: ``write_<system>``).

    BILL: twice its in-flight cap of records at once (6; ``RECORDS_PER_REQUEST_SLOT``), with the client
    holding the requests to 3, in the BILL organization's pool ``bill_<org>`` (limit 1), which BILL's
    source reads share, so the steps calling BILL never have more than 3 requests in flight together
    (``connector_resources.bill.resource``). Every other system: one record at a time."""
    if resource == "bill":
        return (
            RECORDS_PER_REQUEST_SLOT * DOCUMENTED_IN_FLIGHT_CAP,
            BillResource.from_settings().concurrency_pool,
        )
    return 1, None


class BillTarget(SessionTarget):
    """A BILL target (``resource_write_options("bill")`` applies to any ``SessionTarget`` on ``bill``)."""

    resource = "bill"


@dataclass(frozen=True)
class FlowRoute:
    """What an integration's flows in one direction share: the integration and the two systems."""

    integration: str
    source_system: str
    target_system: str

    def flow(
        self,
        name: str,
        entity: str,
        schema: Any,
        map_records: Callable[[Any, str | None], Any],
        remap: Callable[[Any, list[str]], Any] | None,
        target: type[SessionTarget] | Callable[[Any], AbstractContextManager[Any]],
        **fields: Any,
    ) -> FlowSpec:
        """A ``FlowSpec`` on this route: ``name`` / ``entity``, the pandera ``schema`` of a writable record,
        the mapper of a partition and of named records (replay), and the ``target`` it writes through (a
        ``SessionTarget`` class, whose entities become the flow's ``writes``, or an ``open_target``)."""
        if isinstance(target, type) and issubclass(target, SessionTarget):
            fields.setdefault("writes", {self.target_system: target.writes})
            concurrency, pool = resource_write_options(target.resource)
            fields.setdefault("write_concurrency", target.write_concurrency or concurrency)
            fields.setdefault("write_pool", target.pool or pool)
            target = target.for_run
        return FlowSpec(
            integration=self.integration,
            name=name,
            entity=entity,
            source_system=self.source_system,
            target_system=self.target_system,
            schema=schema,
            map_records=map_records,
            open_target=target,
            remap=remap,
            **fields,
        )
