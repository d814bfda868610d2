"""Every integration's settings, read from the ``settings.toml`` in its package, handed to
``connector_resources.settings`` through the entry point group ``ml_connector.integration_settings``
(pyproject.toml).

Why an entry point: the settings table sits below the integrations and must not look for them on disk or
import them by name; this package knows where its integrations are and says so. Read without importing the
integration packages, whose modules ask for their settings as they load.
"""

from __future__ import annotations

from importlib.resources import files

from connector_resources.setting_declarations import DECLARATIONS, declared_settings
from connector_resources.setting_model import Setting

INTEGRATIONS = "connector_assets.integrations"


def declared() -> dict[str, tuple[Setting, ...]]:
    """Each integration package that holds a ``settings.toml``, by name, with the settings it declares."""
    found: dict[str, tuple[Setting, ...]] = {}
    for package in sorted(files(INTEGRATIONS).iterdir(), key=lambda entry: entry.name):
        declarations = package / DECLARATIONS
        if package.is_dir() and declarations.is_file():
            found[package.name] = declared_settings(package.name, declarations)
    return found
