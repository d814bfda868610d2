"""The API endpoint(s) each SaaS entity is read from, as each client declares them, so a source asset's
description names what it reads (``Procurify GET /api/v3/vendors/``). Each client keeps its entity table in
its own shape; ``endpoint`` reads each the way the client builds its URL.
"""

from collections.abc import Callable


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


PATHS: dict[str, Callable[[str], tuple[str, ...]]] = {
    "coupa": _coupa,
    "bill": _bill,
    "procurify": _procurify,
    "procore": _procore,
    "fusion": _fusion,
}


def endpoint(system: str, entity: str) -> str:
    """``GET <path>`` (paths joined by " + " when an entity is read from several lists)."""
    return "GET " + " + ".join(PATHS[system](entity))
