"""The fit report of one integration over some days: its preview, streamed into fit.csv / fit.md / fit.html.

One function behind both ways to ask for it, ``ml-connector fit`` and the ``<integration>_fit`` job
(``fit_job``), so the CLI and the Dagster UI show the same report. (No ``from __future__ import
annotations`` here: Dagster reads the op's ``FitConfig`` annotation as a class, not as a string.)
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from dagster import (
    Config,
    Definitions,
    JobDefinition,
    MetadataValue,
    OpExecutionContext,
    Output,
    job,
    op,
)

from connector_assets.flows.records import FlowSpec
from connector_assets.preview.report import REPORT_FILES, FitReport
from connector_assets.preview.runner import PREVIEW_FILES, FlowPreview, run_preview
from connector_assets.preview.tally import FlowRead
from connector_resources import settings

# Everything a fit leaves in its folder: the report, what its preview ran on (docs/operations.md, "2. Fit").
FIT_FOLDER = (*REPORT_FILES, *PREVIEW_FILES)


@dataclass
class Fit:
    """What a fit produced: where, each flow's run, and the report's Markdown."""

    out: Path
    flows: list[FlowPreview] = field(default_factory=list)
    markdown: str = ""

    @property
    def failed(self) -> list[FlowPreview]:
        return [flow for flow in self.flows if not flow.success or flow.error]


def fit(
    defs: Definitions,
    integration: str,
    first: date,
    last: date,
    out: Path,
    *,
    say: Callable[[str], None] = lambda line: None,
    **preview: Any,
) -> Fit:
    """Preview ``integration`` over ``first``..``last`` into ``out`` (``preview``: ``runner.run_preview``'s
    ``ledger``, ``specs``, ``flows`` and ``resources``); ``say`` hears a line per flow as its run ends, then
    the report's figures in its own words (``FitReport.summary``). The fit is noted in ``ledger`` when one
    is given (its only write there: ``Ledger.note_fit``)."""
    done = Fit(out)
    with FitReport(out, integration=integration, first=first.isoformat(), last=last.isoformat()) as report:
        for item in run_preview(defs, integration, first, last, out, **preview):
            if isinstance(item, FlowPreview):
                done.flows.append(item)
                error = item.error if (item.error or not item.success) else ""
                spec = item.spec
                report.flow_ended(
                    spec.name, error, FlowRead(spec.source_system, spec.target_system, item.days)
                )
                say(_flow_line(item))
            else:
                report.add(item)
        lines = report.summary()
    done.markdown = report.markdown
    for line in lines:  # the report's figures, as fit.md and fit.html say them
        say(line)
    ledger = preview.get("ledger")
    if ledger is not None:  # kept where going live asks whether a recent whole fit finished
        ledger.note_fit(
            integration,
            first,
            last,
            flows=tuple(preview.get("flows") or ()),
            failed=len(done.failed),
            records=sum(flow.rows + sum(flow.pulled.values()) for flow in done.flows),  # as previewed
        )
    return done


def _flow_line(flow: FlowPreview) -> str:
    days = "read whole" if flow.days == [None] else f"{len(flow.days)} day(s)"
    if flow.error or not flow.success:
        return f"FAIL {flow.spec.name} ({days}): {flow.error or 'the preview run failed'}"
    pulled = "".join(f"; pulled {count:,} parent(s) into {name}" for name, count in flow.pulled.items())
    return f"ok   {flow.spec.name} ({days}): {flow.rows:,} of the days' own record(s){pulled}"


class FitConfig(Config):
    """The days to preview (``YYYY-MM-DD``, both included) and, optionally, which flows."""

    first_day: str
    last_day: str
    flows: list[str] = []


class Previewed(Protocol):
    """What a fit previews: one integration's definitions and flows as a deployment of it builds them."""

    @property
    def definitions(self) -> Definitions: ...

    @property
    def specs(self) -> Mapping[str, FlowSpec]: ...


def fit_job(integration: str, deployment_of: Callable[[str], Previewed]) -> JobDefinition:
    """``<integration>_fit``: the fit report of the integration as a run, its Markdown in the run's output
    and the files under ``$DAGSTER_HOME/fit/<run id>``. ``deployment_of`` is handed over by the assembly:
    the preview never imports the deployment."""

    @op(name=f"{integration}_fit_report", required_resource_keys={"ledger"})
    def report(context: OpExecutionContext, config: FitConfig):
        out = Path(settings.value("DAGSTER_HOME")) / "fit" / context.run_id
        deployment = deployment_of(integration)
        done = fit(
            deployment.definitions,
            integration,
            date.fromisoformat(config.first_day),
            date.fromisoformat(config.last_day),
            out,
            ledger=context.resources.ledger.get(),
            specs=deployment.specs,
            flows=config.flows,
            say=context.log.info,
        )
        yield Output(
            None,
            metadata={
                "report": MetadataValue.md(done.markdown),
                "folder": MetadataValue.path(str(out)),
                "failed_flows": len(done.failed),
            },
        )

    @job(
        name=f"{integration}_fit",
        description=f"See if we fit: a preview of {integration} over the days asked, writing nothing "
        "anywhere; the report (fit.csv, fit.md, fit.html) in its output.",
    )
    def fit_run() -> None:
        report()

    return fit_run
