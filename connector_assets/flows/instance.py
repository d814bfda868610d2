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
