"""An integration's parts as its default instance builds them, for tests of a package built per instance.

Why built, not imported: a package's flows, tables and jobs are made for an instance by its
``wiring.build``; a test asks for the default instance's (the component type with no attributes, named
after the package), built anew each call, so a setting a test overrides is read as that test sets it.
"""

from __future__ import annotations

from connector_assets.components import integration_type
from connector_assets.flows.assembly import IntegrationParts


def built(integration: str, **attributes: object) -> IntegrationParts:
    """The parts of ``integration``'s instance with ``attributes`` (none: the default instance)."""
    kind = integration_type(f"connector_assets.integrations.{integration}")
    return kind(**attributes).parts
