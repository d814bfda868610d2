"""A flow spec for tests that drive the write step themselves (``write_record``, ``write_one``).

Such a test hands records to the writer directly, so its flow maps nothing and opens no target; only
the names the ledger keys records by and the schema differ from test to test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from connector_assets.flows.core import FlowSpec


def _maps_nothing(context: Any, partition: str | None) -> Iterator[Any]:
    return iter(())


def _no_target(context: Any) -> Any:
    return None


def bare_spec(integration: str, name: str, entity: str, source: str, target: str, schema: Any) -> FlowSpec:
    """A spec of flow ``integration``/``name`` writing ``entity`` records from ``source`` to ``target``."""
    return FlowSpec(integration, name, entity, source, target, schema, _maps_nothing, _no_target)
