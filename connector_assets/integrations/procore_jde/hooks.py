"""The app's webhook on Procore: one hook per company, found by namespace and adopted, never doubled, with
a trigger per (resource, event) the Procore -> JDE inbox sensor acts on.

Used by ``ml-connector procore-hooks`` (an operator registering a real Procore) and by ``make dev`` on the
Procore sandbox (``sandbox``).
"""

from __future__ import annotations

from typing import Any

# The app's hook namespace on Procore (one per app: lowercase letters, digits and dashes).
PROCORE_HOOK_NAMESPACE = "ml-connector"


def procore_hook_resources() -> list[str]:
    """The Procore webhook resources whose events the Procore -> JDE inbox sensor turns into runs."""
    from connector_assets.integrations.procore_jde.sensor import ENTITY_FLOWS
    from connector_resources.procore.entities import RESOURCE_ENTITIES

    return sorted(name for name, entity in RESOURCE_ENTITIES.items() if entity in ENTITY_FLOWS)


def register_procore_hook(resource: Any, destination: str) -> list[str]:
    """The app's hook to ``destination`` in every company of ``resource`` (a ``ProcoreResource``), with
    a trigger per (resource, event) of ``procore_hook_resources``; adopted, not doubled, when it exists.
    Answers what was done per company ("created" / "adopted" / "updated")."""
    done = []
    for company in resource.company_ids():
        with resource.session(company) as session:
            done.append(ensure_procore_hook(session, destination).action)
    return done


def ensure_procore_hook(session: Any, destination: str) -> Any:
    """The app's hook to ``destination`` in the session's company with its triggers (``HookSync``):
    found by namespace and adopted, updated when its URL or token differ, else created."""
    hook = session.webhooks.ensure_hook(PROCORE_HOOK_NAMESPACE, destination)
    session.webhooks.ensure_triggers(hook.id, procore_hook_resources())
    return hook
