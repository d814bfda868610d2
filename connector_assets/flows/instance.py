"""What an integration package's factory is handed: the instance it builds for.

Why a protocol in the kit: an integration package builds its flows, jobs and schedules for one instance
(``wiring.build(instance)``), from that instance's own name and settings, so two instances of one package
are two calls of one function, not two imports. The instance is the component object Dagster loaded from a
``defs.yaml`` (``components.integration_type.IntegrationType``); the kit and the packages see only this face
of it, so they never import the component layer above them.
"""

from __future__ import annotations

from typing import Any, Protocol


class Instance(Protocol):
    """One instance of an integration: its name and its settings."""

    @property
    def instance(self) -> str:
        """The instance's name: it keys its assets, jobs, ledger rows and settings (``ML_<NAME>_*``)."""
        ...

    def setting(self, short: str) -> Any:
        """The instance's setting ``short`` (``payment_posting``) as its kind types it: the override
        ``ML_<INSTANCE>_<SHORT>`` when set, else the instance's YAML attribute, else the default."""
        ...

    def variable(self, short: str) -> str:
        """The override variable of setting ``short`` (``ML_<INSTANCE>_<SHORT>``): what a message names."""
        ...

    def given(self, short: str) -> str:
        """What is set for setting ``short``, as text: its override, else its YAML attribute; "" when
        neither (the default decides)."""
        ...


# The instances built in this process, by name: where the kit reads an instance's setting when all it holds
# is the name (a held record's key names its integration; a flow's spec names its instance). Registered by
# the component as it builds the instance's parts, so every process that loads the definitions has them.
_BUILT: dict[str, Instance] = {}


def register(instance: Instance) -> None:
    """Take ``instance`` as the one named ``instance.instance`` in this process (the latest built wins: a
    test building an instance again with other settings reads those)."""
    _BUILT[instance.instance] = instance


def _declaring(variable: str) -> tuple[Instance, str] | None:
    """The instance built in this process that declares ``variable``, with the setting's short name."""
    for built in _BUILT.values():
        prefix = f"ML_{built.instance.upper()}_"
        if variable.startswith(prefix):
            short = variable.removeprefix(prefix).lower()
            try:
                built.variable(short)
            except KeyError:  # another instance's, whose name starts with this one's (jde_bill_west)
                continue
            return built, short
    return None


def read(variable: str) -> Any:
    """The integration setting ``variable`` (``ML_<INSTANCE>_<NAME>``) as the instance declaring it reads it
    (override, YAML, default), when that instance was built in this process; else as the variable or the
    default says (a kit function called on its own, outside any definitions)."""
    found = _declaring(variable)
    if found is not None:
        return found[0].setting(found[1])
    from connector_resources import settings

    return settings.read(variable)


def given(variable: str) -> str:
    """What is set for the integration setting ``variable``, as text ("" when only the default is)."""
    found = _declaring(variable)
    if found is not None:
        return found[0].given(found[1])
    from connector_resources import settings

    return settings.given(variable)
