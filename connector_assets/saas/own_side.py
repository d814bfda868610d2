"""What an integration instance reads of a system it reaches through a connection of its own (another BILL
organization, another Coupa tenant, another Procore company): its own copies of the system's staged
entities, ``[<instance>, <system>_<entity>]`` in its own group, read through its own connection in its own
runs, and the inbox of its own webhook endpoints (``/webhooks/<instance>_<source>``, which the receiver
serves for it: ``connector_resources.webhooks.configured``).

Why one module: every package with an ``OWN_CONNECTIONS`` entry asks the same questions (does this
instance reach the system through its own connection; which asset holds the entity it reads; what are its
own staged assets; which inbox holds its own webhook deliveries), and an instance on the deployment's
connection gets the deployment's keys unchanged.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from functools import cached_property

from dagster import AssetKey, AssetsDefinition

from connector_assets.flows.documents import DocumentSource
from connector_assets.saas.assets import READERS, SAAS_ENTITIES, saas_partitions
from connector_assets.saas.entities import SaasEntity, build_entity_asset
from connector_resources import configured_settings
from connector_resources.systems import declared_systems, own_systems
from connector_resources.webhooks.configured import instance_endpoint


@dataclass(frozen=True)
class InstanceSide:
    """``integration``'s view of ``system`` (a declared system's key: ``bill``, ``coupa``, ``procore``)."""

    integration: str
    system: str

    @cached_property
    def own(self) -> bool:
        """Whether the instance reaches the system through a connection of its own (its ``connections``)."""
        return self.system in {declared.key for declared in own_systems(self.integration)}

    def entity(self, deployment_key: AssetKey) -> SaasEntity:
        """The entity at ``deployment_key`` as this instance stages it (the deployment's if not own)."""
        spec = next((spec for spec in SAAS_ENTITIES if spec.asset == deployment_key), None)
        if spec is None or spec.system != self.system:
            raise ValueError(f"{deployment_key.to_user_string()} is not a staged {self.system} entity")
        if not self.own:
            return spec
        declared = next(s for s in declared_systems() if s.key == self.system)
        with configured_settings.scope(self.integration):
            pool = declared.pool.current() if declared.pool is not None else spec.pool
        return replace(
            spec,
            group=self.integration,
            pool=pool,
            description=f"{spec.description} ({self.integration}'s own)",
        )

    def key(self, deployment_key: AssetKey) -> AssetKey:
        """Where this instance reads the entity the deployment stages at ``deployment_key``."""
        return self.entity(deployment_key).asset

    def source(self, source: DocumentSource) -> DocumentSource:
        """``source`` on this instance's own staged copy with an inbox of its own, the one the receiver
        fills from the instance's own endpoint (``/webhooks/<instance>_<source>``, ``instance_endpoint``),
        or ``source`` itself on the deployment's connection."""
        if not self.own:
            return source
        return replace(source, asset=self.key(source.asset), inbox=self.inbox(source.inbox_source))

    def inbox(self, inbox_source: str) -> str:
        """The inbox source this instance reads for the system's ``inbox_source`` (``coupa_invoices``): its
        own endpoint's when it reaches the system through its own connection, else ``inbox_source``."""
        return instance_endpoint(self.integration, inbox_source) if self.own else inbox_source

    def scope(self) -> AbstractContextManager[None]:
        """A block in which the system's settings are this instance's own connection's (the deployment's
        when not own): for what reads them later than the wiring, such as a sensor's tick."""
        return configured_settings.scope(self.integration if self.own else None)

    def assets(self, *deployment_keys: AssetKey) -> list[AssetsDefinition]:
        """The instance's own staged copies of the entities at ``deployment_keys`` (none when not own)."""
        if not self.own:
            return []
        specs = [self.entity(key) for key in deployment_keys]
        return [build_entity_asset(spec, saas_partitions, reader=READERS.get(spec.system)) for spec in specs]
