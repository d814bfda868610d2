"""JD Edwards -> Coupa: its settings, declared in ``settings.toml`` beside this module,
as data under the ``ML_JDE_COUPA_`` prefix, read by the one table and the component
(``flows.integration_settings.declared_settings``)."""

from __future__ import annotations

from connector_assets.flows.integration_settings import declared_settings
from connector_resources.settings import Setting

SETTINGS: tuple[Setting, ...] = declared_settings(__name__)
