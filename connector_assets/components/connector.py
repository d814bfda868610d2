"""The ``Connector`` component: what the integration instances of one code location share, built once.

Why a component of its own: the ledger, the replay job, the system sides several integrations read (JD
Edwards' tables, each SaaS system's entities), the sensors and alerts exist once per code location however
many integrations run; each integration's own component builds only what is its own. It reads its sibling
instances from the component tree it is loaded in, so it follows the defs folder without a list, and hands
that tree to the deployment (``project_tree.adopt``), so the runs and commands of the process read the
instances Dagster's loader loaded instead of loading the folder again.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from connector_assets.components.integration_type import IntegrationType
from connector_assets.components.scaffolding import ConnectorScaffolder


@dg.scaffold_with(ConnectorScaffolder)
class Connector(dg.Component, dg.Resolvable, dg.Model):
    """ml-connector's shared parts: the ledger and its health, the retry-queue replay job and schedule, the
    system sides the integrations read, the write-pool and automation sensors, alerts. One per code
    location, beside the integration instances (JdeBill, JdeCoupa, ...)."""

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        from connector_assets.deployment import Deployment, connector_definitions
        from connector_assets.project_tree import adopt

        adopt(context.component_tree)
        instances = context.component_tree.get_all_components(of_type=IntegrationType)
        for instance in instances:  # each built as its own first: a failure is its defs.yaml's, not ours
            context.build_defs(_folder(instance))
        return connector_definitions(Deployment.of_instances(instances))


def _folder(instance: IntegrationType) -> Path:
    """The defs folder ``instance`` was loaded from (its ``defs.yaml``'s)."""
    written = Path(instance.defined_in)
    return written.parent if written.name == "defs.yaml" else written
