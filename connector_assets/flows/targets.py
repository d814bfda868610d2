"""Where a flow writes: its route (integration, source and target system) and its target.

A target only says how its system finds a record by natural key and creates and updates one; adoption
and deduplication are ``write_one``'s. What every target shares (its session, opened for a run or a
replay) is here once, and ``FlowRoute.flow`` declares a flow from the few things that are its own.
"""

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar, NamedTuple, Self

from connector_assets.flows.core import FlowSpec
from connector_assets.flows.target_boundary import UNWRAPPED, TargetBoundary
from connector_resources.api_pools import session_write_limits
from connector_resources.ledger import Ledger


class SessionTarget:
    """A target over one session of the resource named ``resource`` (``coupa``, ``bill``, ...), opened
    with ``session_options`` (e.g. the OAuth scopes a Coupa flow needs). ``write_concurrency`` and
    ``pool`` become the flow's (None: ``resource_write_options``)."""

    resource: ClassVar[str]
    session_options: ClassVar[Mapping[str, Any]] = {}
    writes: ClassVar[tuple[str, ...]] = ()  # the entities it writes (what ``ml-connector ping`` checks)
    write_concurrency: ClassVar[int | None] = None
    pool: ClassVar[str | None] = None

    def __init__(self, session: Any) -> None:
        self.session = session
        # Guards a target's state across records (an index built once) when several workers write through
        # this one object; the session itself is safe to share.
        self.lock = threading.RLock()

    @property
    def max_in_flight(self) -> int | None:
        """The requests the session's client allows in flight at once, when it says (``write_workers``)."""
        cap = getattr(self.session, "max_in_flight", None)
        return cap if isinstance(cap, int) else None

    @classmethod
    @contextmanager
    def opened(cls, resource: Any, *held: Any, **named: Any) -> Iterator[Self]:
        """The target on a session of ``resource``, closed after the block; ``held`` / ``named``: the
        subclass's constructor arguments beside the session."""
        with resource.session(**cls.session_options) as session:
            yield cls(session, *held, **named)

    @classmethod
    def for_run(cls, context: Any, spec: FlowSpec | None = None) -> AbstractContextManager[Self]:
        """``FlowSpec.open_target``: on the run's resource."""
        return cls.opened(getattr(context.resources, cls.resource))

    @classmethod
    def for_replay(
        cls, resources: Mapping[str, object], ledger: Ledger | None = None, spec: FlowSpec | None = None
    ) -> AbstractContextManager[Self]:
        """A replay's opener (``Replay.target``): on the replay's resource."""
        return cls.opened(resources[cls.resource])


class Held(NamedTuple):
    """What a ``LedgerTarget`` holds beside its session, in its constructor's order: ``boundary`` is the
    run's ``target_boundary`` (a preview's, answering for the writes it held; a replay's is ``UNWRAPPED``)."""

    ledger: Ledger | None
    run_id: str | None
    partition: str | None
    spec: FlowSpec | None
    boundary: TargetBoundary = UNWRAPPED


class LedgerTarget(SessionTarget):
    """A target that decides with the ledger (a JDE voucher is never rewritten): it holds ``Held`` (in a
    replay, the replay's ledger and no run), given through ``open_on`` for a run and a replay alike."""

    def __init__(
        self,
        session: Any,
        ledger: Ledger | None,
        run_id: str | None,
        partition: str | None,
        spec: FlowSpec | None = None,
        boundary: TargetBoundary = UNWRAPPED,
    ) -> None:
        super().__init__(session)
        self.ledger, self.run_id, self.partition, self.spec = ledger, run_id, partition, spec
        self.boundary = boundary

    @classmethod
    def for_run(cls, context: Any, spec: FlowSpec | None = None) -> AbstractContextManager[Self]:
        """On the run's resources, with its ledger, run id and partition, for the flow ``spec``."""
        partition = context.partition_key if context.has_partition_key else None
        resources = context.resources
        held = Held(resources.ledger.get(), context.run.run_id, partition, spec, resources.target_boundary)
        return cls.open_on(partial(getattr, resources), held)

    @classmethod
    def for_replay(
        cls, resources: Mapping[str, object], ledger: Ledger | None = None, spec: FlowSpec | None = None
    ) -> AbstractContextManager[Self]:
        """On the replay's resources, with the replay's ledger, for the flow ``spec`` (no run)."""
        return cls.open_on(resources.__getitem__, Held(ledger, None, None, spec))

    @classmethod
    def open_on(cls, resource: Callable[[str], object], held: Held) -> AbstractContextManager[Self]:
        """The target on one session of ``resource(cls.resource)``, holding ``held``; a target that needs
        another system's session too overrides this."""
        return cls.opened(resource(cls.resource), *held)


# Records a write step to BILL writes at once, per request BILL allows in flight: while the cap's requests
# are out, the other records do their ledger work (claim, record the id, audit) and their next request
# waits for a free slot, so no slot sits idle between a record's search and its create. Measured with
# bench/bill_in_flight.py (latency 300 ms): 3 records at once reach 0.80 of BILL's 3-in-flight ceiling,
# 6 reach 0.93; the client still never has more than 3 requests in flight.
RECORDS_PER_REQUEST_SLOT = 2


def resource_write_options(resource: str) -> tuple[int, str | None]:
    """How a write step to ``resource`` writes: records at once, and its pool (None: ``write_<system>``).
    Where the API caps the requests in flight (BILL: 3 per organization), twice the cap of records, in
    the pool every step calling that API shares; every other system one record at a time."""
    in_flight, pool = session_write_limits(resource)
    if in_flight is None:
        return 1, pool
    return RECORDS_PER_REQUEST_SLOT * in_flight, pool


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
        opener = None
        if isinstance(target, type) and issubclass(target, SessionTarget):
            # What the target writes in its system, beside what the flow writes elsewhere (an export mark).
            fields["writes"] = {self.target_system: target.writes, **fields.get("writes", {})}
            concurrency, pool = resource_write_options(target.resource)
            fields.setdefault("write_concurrency", target.write_concurrency or concurrency)
            fields.setdefault("write_pool", target.pool or pool)
            target = opener = TargetOpener(target)
        spec = FlowSpec(
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
        if opener is not None:
            opener.spec = spec
        return spec


class TargetOpener:
    """A flow's ``FlowSpec.open_target`` when declared with its target class: the class opened for the
    run; ``spec`` is set once built (the spec holds this opener)."""

    def __init__(self, target: type[SessionTarget]) -> None:
        self.target = target
        self.spec: FlowSpec | None = None

    def __call__(self, context: object) -> AbstractContextManager[SessionTarget]:
        return self.target.for_run(context, self.spec)
