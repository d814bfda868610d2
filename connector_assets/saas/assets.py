"""The SaaS source assets: one per entity in each client's change feed (``Session.ENTITIES``), and one read
whole per entity without a documented change stamp (``Session.SNAPSHOT_ENTITIES``); an entity without a
declared key (``Session.KEYS``) stops the code from loading. Adding a system is a line in ``CLIENTS`` (a
job and a poll schedule come with it).
"""

from collections.abc import Callable

from dagster import AssetSelection, define_asset_job

from connector_assets.procore.sources import read_procore_companies
from connector_assets.runtime.polling import build_poll_schedule
from connector_assets.saas.entities import SaasEntity, SourceReader, build_entity_asset, saas_daily_partitions
from connector_resources import settings
from connector_resources.base import ApiConnectionResource, SaasSession
from connector_resources.bill import BillResource, BillSession
from connector_resources.coupa import CoupaResource, CoupaSession
from connector_resources.fusion import FusionResource, FusionSession
from connector_resources.procore import ProcoreResource, ProcoreSession
from connector_resources.procurify import ProcurifyResource, ProcurifySession


def _coupa(entity: str) -> tuple[str, ...]:
    from connector_resources.coupa.entities import ENTITIES

    return (f"/{ENTITIES[entity].path}",)


def _bill(entity: str) -> tuple[str, ...]:
    from connector_resources.bill.listing import ENTITY_SPECS

    return (f"/{ENTITY_SPECS[entity].path}",)


def _procurify(entity: str) -> tuple[str, ...]:
    from connector_resources.procurify.entities import SPECS

    return (SPECS[entity].path,)


def _procore(entity: str) -> tuple[str, ...]:
    from connector_resources.procore.entities import ENTITY_SPECS

    return tuple(source.path for source in ENTITY_SPECS[entity].sources)


def _fusion(entity: str) -> tuple[str, ...]:
    from connector_resources.fusion.entities import ENTITIES
    from connector_resources.fusion.resource import REST_CONTEXT

    return (f"{REST_CONTEXT}/<version>/{ENTITIES[entity].resource}",)


Paths = Callable[[str], tuple[str, ...]]
# system key -> (resource class, session class, title, the API path(s) an entity is read from)
CLIENTS: dict[str, tuple[type[ApiConnectionResource], type[SaasSession], str, Paths]] = {
    "coupa": (CoupaResource, CoupaSession, "Coupa", _coupa),
    "bill": (BillResource, BillSession, "BILL", _bill),
    "procurify": (ProcurifyResource, ProcurifySession, "Procurify", _procurify),
    "procore": (ProcoreResource, ProcoreSession, "Procore", _procore),
    "fusion": (FusionResource, FusionSession, "Oracle Fusion", _fusion),
}
# BILL answers a 4th concurrent call per org with BDC_1322: every step calling BILL is in one pool per org,
# limit 1 step, each using up to the client's 3 in flight (docs/integrations/jde_bill.md, "BILL's limits").
# Procore limits calls per app (hourly and 10-second windows, reference §3), whatever the company: its
# reads (every configured company in one step) are in one pool per app, ``procore_<client id>``.
POOLS = {
    "bill": BillResource.from_settings().concurrency_pool,
    "procore": ProcoreResource.from_settings().concurrency_pool,
}
# Systems whose source steps read otherwise than one session per step: Procore reads every company.
READERS: dict[str, SourceReader] = {"procore": read_procore_companies}

saas_partitions = saas_daily_partitions()


def declared_key(system: str, session: type[SaasSession], entity: str) -> tuple[str, ...]:
    """``session.KEYS[entity]`` as a tuple of field names; an error naming the entity when missing."""
    key = session.KEYS.get(entity)
    fields = (key,) if isinstance(key, str) else tuple(key or ())
    if not fields:
        raise ValueError(
            f"{system} {entity}: {session.__name__}.KEYS declares no key field; look it up in the "
            f"system's API reference and declare it beside the entity"
        )
    return fields


def endpoint(system: str, entity: str) -> str:
    """``GET <path>`` (paths joined by " + " when an entity is read from several lists)."""
    return "GET " + " + ".join(CLIENTS[system][3](entity))


SAAS_ENTITIES = [
    SaasEntity(
        system,
        entity,
        f"{title} {entity.replace('_', ' ')} changed on the day (by {field}), read from {title} "
        f"{endpoint(system, entity)} and staged as JSON.",
        key_fields=declared_key(system, session, entity),
        pool=POOLS.get(system),
    )
    for system, (_resource, session, title, _paths) in CLIENTS.items()
    for entity, field in session.ENTITIES.items()
] + [
    SaasEntity(
        system,
        entity,
        f"Every {title} {entity.replace('_', ' ')} record, read whole (no documented change stamp) from "
        f"{title} {endpoint(system, entity)} and staged as JSON.",
        key_fields=declared_key(system, session, entity),
        whole=True,
        pool=POOLS.get(system),
    )
    for system, (_resource, session, title, _paths) in CLIENTS.items()
    for entity in session.SNAPSHOT_ENTITIES
]

saas_assets = [
    build_entity_asset(spec, saas_partitions, reader=READERS.get(spec.system)) for spec in SAAS_ENTITIES
]

saas_jobs = [
    define_asset_job(
        f"{system}_sources",
        selection=AssetSelection.assets(*[s.asset for s in SAAS_ENTITIES if s.system == system]),
        description=f"Read {title} records changed on a day (the current day incrementally).",
    )
    for system, (_r, _s, title, _p) in CLIENTS.items()
]

saas_schedules = [
    build_poll_schedule(
        f"{job.name}_poll",
        job,
        cron=settings.value(f"ML_{job.name.removesuffix('_sources').upper()}_POLL_CRON"),
        timezone="UTC",
        description="Poll today's changes; after midnight, close yesterday once.",
    )
    for job in saas_jobs
]


def saas_resources() -> dict:
    return {system: resource.from_settings() for system, (resource, *_rest) in CLIENTS.items()}
