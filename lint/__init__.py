"""Checks `make lint` runs beside ruff: the import contract type pyproject.toml's [tool.importlinter] uses."""
