"""The app's webhook on Procore: one hook per company, found by namespace and adopted, never doubled, with a
trigger per (resource, event) in ``resources``.

Why on the Procore side: the hook, its namespace and its triggers are Procore's API; which resources
matter is the integration's (the resources whose events its inbox sensor acts on), passed in. Used by
``ml-connector procore-webhooks`` (an operator registering a real Procore) and by ``make dev`` on the
Procore sandbox.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

# The app's hook namespace on Procore (one per app: lowercase letters, digits and dashes).
PROCORE_HOOK_NAMESPACE = "ml-connector"


def hook_resources(entities: Iterable[str]) -> list[str]:
    """The Procore webhook resources whose events concern ``entities`` (``RESOURCE_ENTITIES`` values)."""
    from connector_resources.procore.entities import RESOURCE_ENTITIES

    wanted = set(entities)
    return sorted(name for name, entity in RESOURCE_ENTITIES.items() if entity in wanted)


def register_procore_hook(resource: Any, destination: str, resources: Sequence[str]) -> list[str]:
    """The app's hook to ``destination`` in every company of ``resource`` (a ``ProcoreResource``), with
    a trigger per (resource, event) of ``resources``; adopted, not doubled, when it exists. Answers what
    was done per company ("created" / "adopted" / "updated")."""
    done = []
    for company in resource.company_ids():
        with resource.session(company) as session:
            done.append(ensure_procore_hook(session, destination, resources).action)
    return done


def ensure_procore_hook(session: Any, destination: str, resources: Sequence[str]) -> Any:
    """The app's hook to ``destination`` in the session's company with its triggers (``HookSync``):
    found by namespace and adopted, updated when its URL or token differ, else created."""
    hook = session.webhooks.ensure_hook(PROCORE_HOOK_NAMESPACE, destination)
    session.webhooks.ensure_triggers(hook.id, list(resources))
    return hook
