"""The integrations, one package each: its flow specs, pure mappers, mapping tables, jobs, schedules,
sensors and replay handlers, declared in its ``declaration`` module and exposed the one way every package
is (``flows.assembly``) as one ``Definitions`` (``defs``) and a ``register_replay_handlers``.

The top-level ``connector_assets.definitions`` merges every package listed in ``INTEGRATIONS`` with the
shared assets (JDE tables, SaaS entities, operations); adding an integration is a new folder here and
one line in that list (README, "Adding an integration").
"""

from types import ModuleType

from connector_assets.integrations import (
    coupa_jde,
    fusion_procurify,
    jde_bill,
    jde_coupa,
    jde_procurify,
    procore_jde,
)

INTEGRATIONS: tuple[ModuleType, ...] = (
    jde_coupa,
    coupa_jde,
    jde_bill,
    procore_jde,
    jde_procurify,
    fusion_procurify,
)
