"""The SaaS source assets: one per entity in each client's change feed (``Session.ENTITIES``), and one read
whole per entity without a documented change stamp (``Session.SNAPSHOT_ENTITIES``); an entity without a
declared key (``Session.KEYS``) stops the code from loading. A system with a change feed declares it
(``System.client`` in ``connector_resources/<system>/system.py``); its assets, job and poll schedule come
with it here.
"""

from collections.abc import Callable

from dagster import AssetSelection, define_asset_job

from connector_assets.runtime.polling import build_poll_schedule
from connector_assets.saas.entities import SaasEntity, SourceReader, build_entity_asset, saas_daily_partitions
from connector_assets.side_modules import side_module
from connector_resources import settings
from connector_resources.base import ApiConnectionResource, SaasSession
from connector_resources.systems import declared_systems

Paths = Callable[[str], tuple[str, ...]]
# system key -> its change feed (resource class, session class, title, the API path(s) an entity is read
# from), for every declared system that has one (``System.client``).
CLIENTS: dict[str, tuple[type[ApiConnectionResource], type[SaasSession], str, Paths]] = {
    s.key: (s.resource, *s.client)
    for s in declared_systems()
    if s.client is not None and s.resource is not None
}
# The concurrency pool of each system whose API limits calls per account (``System.pool``: BILL per
# organization, Procore per app): every source step of that system is in it.
POOLS = {s.key: s.pool.current() for s in declared_systems() if s.client is not None and s.pool is not None}
# Systems whose source steps read otherwise than one session per step, as their side offers it
# (``connector_assets/<side>/sources.py``: ``READER``): Procore reads every company.
READERS: dict[str, SourceReader] = {
    key: module.READER
    for key in CLIENTS
    if (module := side_module(key, "sources")) is not None and hasattr(module, "READER")
}

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
