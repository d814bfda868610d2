"""``ml-connector dev --sandbox-ports free`` when another process binds a port of the chosen block between
the check and the bind (two suites or two ``make dev`` choosing at once): it moves every sandbox address to
another free block, publishes it again and starts there; on fixed ports, or after ``MOVES`` tries, the
error stands."""

from __future__ import annotations

import errno

import pytest

from connector_cli import dev
from connector_resources import settings


def _taken() -> OSError:
    return OSError(errno.EADDRINUSE, "Address already in use")


@pytest.fixture
def starts(monkeypatch, tmp_path):
    """The world's start replaced by one that fails on the first ``fail`` calls (each call records the
    port base it saw); the kept base goes to ``tmp_path``."""
    monkeypatch.setenv("ML_SANDBOX_PORT_BASE", "21000")
    seen: list[str] = []
    plan = {"fail": 1}

    def start_world(url: str, *, scale: float) -> list:
        seen.append(settings.given("ML_SANDBOX_PORT_BASE"))
        if len(seen) <= plan["fail"]:
            raise _taken()
        return ["running"]

    monkeypatch.setattr(dev, "start_world", start_world)
    monkeypatch.setattr("connector_sandbox.registry.free_port_base", lambda: 23000 + len(seen))
    return seen, plan


def test_a_block_taken_meanwhile_moves_every_address_and_starts_there(starts, tmp_path):
    seen, _ = starts
    published: list[str] = []
    running = dev._start_world("sqlite://", 0.02, "free", tmp_path, lambda: published.append("again"))
    assert running == ["running"]
    assert seen == ["21000", "23001"] and published == ["again"]
    assert settings.given("ML_SANDBOX_PORT_BASE") == "23001"


def test_on_fixed_ports_or_after_the_last_move_the_error_stands(starts, tmp_path):
    seen, plan = starts
    with pytest.raises(OSError):
        dev._start_world("sqlite://", 0.02, "default", tmp_path, lambda: None)
    assert seen == ["21000"]
    plan["fail"] = 10
    with pytest.raises(OSError):
        dev._start_world("sqlite://", 0.02, "free", tmp_path, lambda: None)
    assert len(seen) == 1 + dev.MOVES
