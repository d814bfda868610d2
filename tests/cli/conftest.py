"""Fixtures shared by the CLI tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from served_sandboxes import served


@pytest.fixture(scope="module")
def jde_coupa_sandboxes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """JDE and Coupa under a free port base (every other simulator's address left unserved), per module."""
    with served(["jde_ais", "coupa"], str(tmp_path_factory.mktemp("home"))):
        yield
