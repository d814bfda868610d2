"""The fit report of a preview: ``fit.csv`` (one row per record, written as each verdict comes), and on close
``fit.md`` and ``fit.html`` from bounded counts (``tally``), so a year of a real tenant's records costs the
memory of a day. The Markdown is kept (``FitReport.markdown``) for a Dagster run to show as metadata.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import UTC, datetime
from operator import attrgetter
from pathlib import Path
from time import monotonic
from types import TracebackType
from typing import IO, Any

from connector_assets.preview.figures import day_one_line, headline, read_lines
from connector_assets.preview.fit_markdown import fit_markdown
from connector_assets.preview.fit_page import fit_page
from connector_assets.preview.tally import FIT_COLUMNS, FitRow, FlowRead, FlowTally, RunFacts

REPORT_FILES = ("fit.csv", "fit.md", "fit.html")
# A row's values in column order: ``dataclasses.astuple`` deep-copies each field, which took a quarter of a
# 200,000-record report's time.
_columns = attrgetter(*FIT_COLUMNS)


class FitReport:
    """Writes one preview's fit report into ``out``: a context manager, ``add`` each verdict. On a clean exit
    (or ``close``) fit.md and fit.html are written and the Markdown kept; a preview failing midway leaves only
    fit.csv's rows so far (an earlier run's fit.md and fit.html are removed on entry)."""

    def __init__(self, out: Path, *, integration: str, first: str, last: str) -> None:
        self.out, self.integration, self.first, self.last = Path(out), integration, first, last
        self.flows: defaultdict[str, FlowTally] = defaultdict(FlowTally)
        self.markdown = ""
        self.facts = RunFacts(datetime.now(UTC))
        self._clock = 0.0  # ``monotonic()`` on entry: the run's length is measured from there
        self._file: IO[str] | None = None
        self._csv: Any = None

    def __enter__(self) -> FitReport:
        self.facts, self._clock = RunFacts(datetime.now(UTC)), monotonic()
        self.out.mkdir(parents=True, exist_ok=True)
        for name in REPORT_FILES[1:]:
            (self.out / name).unlink(missing_ok=True)
        self._file = (self.out / "fit.csv").open("w", newline="", encoding="utf-8")
        self._csv = csv.writer(self._file)
        self._csv.writerow(FIT_COLUMNS)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if kind is None:
            self.close()
        elif self._file is not None:
            self._file.close()
            self._file = None

    def add(self, row: FitRow) -> None:
        """Write ``row`` to fit.csv and count it."""
        if self._csv is None:
            raise RuntimeError("FitReport.add outside its `with` block")
        if row.integration != self.integration:
            raise ValueError(f"a {row.integration} row in the fit report of {self.integration}")
        self.flows[row.flow].add(row)
        self._csv.writerow(_columns(row))

    def flow_ended(self, flow: str, error: str = "", read: FlowRead | None = None) -> None:
        """Note that ``flow``'s preview run ended, with why it failed when it did, and what it read (its
        systems and days): the report says so at the flow, which shows even when its run ended before
        any verdict."""
        self.flows[flow].error = error
        self.facts.flows[flow] = read or FlowRead()

    def summary(self) -> list[str]:
        """The report's figures as the console says them, in the report's own words (``preview.figures``):
        the headline, the Day one line, and each flow's records read."""
        lines = [headline(self.flows), day_one_line(self.flows).replace("**", "")]
        return lines + [f"- {line}" for line in read_lines(self.facts, self.flows)]

    def close(self) -> str:
        """Finish fit.csv, write fit.md and fit.html; the Markdown."""
        if self._file is not None:
            self._file.close()
            self._file = None
        self.facts.seconds = monotonic() - self._clock
        self.markdown = fit_markdown(self.integration, self.first, self.last, self.flows, self.facts)
        (self.out / "fit.md").write_text(self.markdown, encoding="utf-8")
        page = fit_page(self.integration, self.first, self.last, self.flows, self.facts)
        (self.out / "fit.html").write_text(page, encoding="utf-8")
        return self.markdown
