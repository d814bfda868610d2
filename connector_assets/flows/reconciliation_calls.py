"""What a reconciliation's reads cost: each session's HTTP calls (logins included) added to the report's
count for its system (``<system>_api_calls``). In the kit so no integration imports another's.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol


class CallCounts(Protocol):
    """A report that counts API calls per system (``flows.reconciliation.Report``, JDE <-> BILL's own)."""

    calls: dict[str, int]


@contextmanager
def counted(resource: Any, report: CallCounts, system: str) -> Iterator[Any]:
    """A session of ``resource`` whose HTTP calls are added to the report's count for ``system``."""
    with resource.session() as session:
        try:
            yield session
        finally:
            report.calls[system] += session.metrics.calls


class CountedJde:
    """The JDE resource as the shared readers use it (``session()``), every session's calls counted for
    ``jde``: the JDE readers open their own sessions, so they are handed this instead of one session."""

    def __init__(self, resource: Any, report: CallCounts) -> None:
        self.resource, self.report = resource, report

    def session(self) -> Any:
        """A counted JDE session (a context manager, as ``resource.session()`` is)."""
        return counted(self.resource, self.report, "jde")
