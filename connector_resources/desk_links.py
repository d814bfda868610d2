"""Where the exceptions desk is, for links to it from the Dagster UI (a day's check metadata names the desk's
queue filtered on that flow and day).

``ML_DESK_URL`` when set (a deployment's Ingress address; ``make dev`` sets it to the desk it starts), else
``http://ML_DESK_HOST:ML_DESK_PORT``, which is right when the desk runs where its settings say.
"""

from __future__ import annotations

from urllib.parse import urlencode

from connector_resources import settings

__all__ = ["desk_queue_url", "desk_url"]


def desk_url() -> str:
    """The desk's base address, no trailing slash."""
    given = (settings.value("ML_DESK_URL") or "").strip().rstrip("/")
    if given:
        return given
    host = settings.value("ML_DESK_HOST")
    host = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
    return f"http://{host}:{settings.value('ML_DESK_PORT')}"


def desk_queue_url(integration: str, flow: str, day: str | None) -> str:
    """The desk's queue of one flow's day: its open records (failed, awaiting replay, held)."""
    query = {"integration": integration, "flow": flow, **({"day": day} if day else {})}
    return f"{desk_url()}/queue?{urlencode(query)}"
