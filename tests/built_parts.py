"""An integration's parts as its default instance builds them, for tests of a package built per instance.

Why built, not imported: a package's flows, tables and jobs are made for an instance by its
``wiring.build``; a test asks for the default instance's (the component type with no attributes, named
after the package), built anew each call, so a setting a test overrides is read as that test sets it.
"""

from __future__ import annotations

import connector_assets.components as components
from connector_assets.components.integration_type import class_name
from connector_assets.flows.assembly import IntegrationParts


def built(integration: str, **attributes: object) -> IntegrationParts:
    """The parts of ``integration``'s instance with ``attributes`` (none: the default instance)."""
    kind = getattr(components, class_name(integration))
    return kind(**attributes).parts
