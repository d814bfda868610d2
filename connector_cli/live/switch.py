"""Turning an integration on or off in one action: behind ``ml-connector live`` and the desk's Live page
alike, so both check, switch and record the same way (what is on: ``running``).

Going on: the person is an admin; the webserver has the integration's schedules and sensors loaded; ping
of its systems passes; a recent fit of the whole integration finished (or the person overrides that, which
is recorded); its pools are limited; its first reads run (the staged mapping tables); then its schedules and
sensors are turned on in ``plan.LivePlan.order``. Going off stops its own in reverse, and what it shares only
when no other integration that runs uses it (by ``live``, its default status or the Dagster UI). Each switch
is an operator action (``live_on`` / ``live_off``) with who, when, why and what was switched.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from connector_cli.live.dagster_ui import DagsterUI, Instigator
from connector_cli.live.plan import LivePlan, live_plan
from connector_cli.live.running import kept_for_others
from connector_resources import settings
from connector_resources.http.policy import HttpPolicy, quick_calls
from connector_resources.ledger import Ledger
from connector_resources.ledger.fits import FitNote
from connector_resources.ledger.operator_actions import Operator, OperatorAction, may_switch

FIT_DAYS_SETTING = "ML_LIVE_FIT_DAYS"
Say = Callable[[str], None]


class LiveRefused(Exception):
    """Going on or off refused before anything was switched; the sentence says why and what to run."""


# How each surface offers going on without a recent fit, for the refusal to name (``fit_refusal``).
CLI_OVERRIDE = "add --without-fit"
PAGE_OVERRIDE = 'tick "Go on without a recent fit" beside Turn on'


def fit_refusal(
    integration: str, fit: FitNote | None, *, override: str, now: datetime | None = None
) -> str | None:
    """Why the latest whole fit of ``integration`` does not allow going on (none, unfinished, too old), with
    what to run and how to go on without it where the refusal is read (``override``: ``CLI_OVERRIDE``,
    ``PAGE_OVERRIDE``); None when it does."""
    now = now or datetime.now(UTC)
    days = float(settings.read(FIT_DAYS_SETTING))
    run = (
        f"`ml-connector fit --integration {integration} --from FIRST-DAY --to {now:%Y-%m-%d}` (or the job "
        f"{integration}_fit in the Dagster UI)"
    )
    then = f"and review its report, or go on without it ({override}; the override is recorded)"
    if fit is None:
        return f"no fit of the whole {integration} has run: run {run} {then}"
    if fit.failed:
        return f"the latest {fit.said()} did not finish {fit.failed} flow(s): run {run} again {then}"
    if now - fit.at > timedelta(days=days):
        age = (now - fit.at).days
        return f"the latest {fit.said()} is {age} day(s) old ({FIT_DAYS_SETTING}={days:g}): run {run} {then}"
    return None


def _loaded(plan: LivePlan, ui: DagsterUI) -> dict[str, Instigator]:
    """The webserver's schedules and sensors; refused when it lacks some of the integration's."""
    found = ui.instigators()
    missing = [name for name in plan.order if name not in found]
    if missing:
        raise LiveRefused(
            f"the Dagster webserver at {ui.url} does not load {plan.integration}'s {', '.join(missing)}: "
            f"name {plan.integration} in ML_INTEGRATIONS of the webserver and the daemon, and reload the "
            "code location"
        )
    return found


# What the ping before going live allows each call: a system that is down is refused in seconds (two
# attempts, 3 s to connect, 20 s in all), not after the minutes of retries a run rides out; a slow moment
# costs a second `live on`, and `ml-connector ping` keeps the full retries to look closer.
PING_LIMIT = HttpPolicy(
    connect_timeout=3, read_timeout=15, max_attempts=2, backoff_cap=1, retry_after_cap=2, deadline=20
)


def _pinged(integration: str, say: Say) -> None:
    """Ping the integration's systems within ``PING_LIMIT``; refused naming each failed check (its system,
    the URL and how it failed) and what the ping tried."""
    from connector_assets.deployment import Deployment
    from connector_cli.records import PingUnavailable, deployment_pings

    started = time.monotonic()
    try:
        with quick_calls(PING_LIMIT):
            results = deployment_pings(Deployment.of([integration]))
    except PingUnavailable as exc:
        raise LiveRefused(str(exc)) from None
    failed = [r for r in results if not r.ok]
    if failed:
        said = "; ".join(f"{r.name}: {r.detail}" for r in failed)
        limit = PING_LIMIT
        raise LiveRefused(
            f"ping of {integration}'s systems failed in {time.monotonic() - started:.1f} s (each call tried "
            f"at most {limit.max_attempts} times, {limit.connect_timeout:g} s to connect, "
            f"{limit.deadline:g} s in all): {said}. Fix it, check with "
            f"`ml-connector ping --integration {integration}`, and go live again; nothing was turned on"
        )
    say(f"ping ok: {', '.join(r.name for r in results)}")


def _settled(ui: DagsterUI, names: list[str], running: bool, tries: int = 5, pause: float = 1.0) -> None:
    """Switch ``names`` again until the webserver reports each ``running`` (or not): the scheduler and
    sensor daemons write an instigator's state as they tick, and a tick that read it before the switch
    can write the old status back over it."""
    behind: list[Instigator] = []
    for _ in range(tries):
        found = ui.instigators()
        behind = [found[name] for name in names if found[name].running != running]
        if not behind:
            return
        time.sleep(pause)
        for instigator in behind:
            (ui.start if running else ui.stop)(instigator)
    raise LiveRefused(
        f"Dagster keeps {', '.join(i.name for i in behind)} {'stopped' if running else 'running'}"
    )


def go_live(
    integration: str,
    *,
    by: Operator,
    why: str,
    ledger: Ledger,
    ui: DagsterUI,
    without_fit: bool = False,
    override: str = CLI_OVERRIDE,
    say: Say = lambda line: None,
) -> OperatorAction:
    """Turn ``integration`` on (see the module docstring); ``LiveRefused`` before anything is switched
    (``override``: how the caller's surface offers ``without_fit``, for the fit refusal to name)."""
    may_switch(by, integration, "live_on")
    plan = live_plan(integration)
    found = _loaded(plan, ui)
    _pinged(integration, say)
    fit = ledger.latest_fit(integration)
    refusal = fit_refusal(integration, fit, override=override)
    if refusal and not without_fit:
        raise LiveRefused(refusal)
    say(f"fit: {fit.said() if fit and not refusal else 'none recent, gone on without it (recorded)'}")
    for pool, limit in plan.pools.items():
        ui.set_pool_limit(pool, limit)
    say("pools limited: " + (", ".join(f"{p}={n}" for p, n in plan.pools.items()) or "none"))
    run_id, status = ui.materialize(found[plan.order[0]], plan.first_reads) if plan.first_reads else ("", "")
    if status and status != "SUCCESS":
        raise LiveRefused(
            f"the first reads of {integration} ({', '.join(plan.first_reads)}) ended {status} in run "
            f"{run_id}: see the run in the Dagster UI, fix its cause and go live again; nothing was turned on"
        )
    if run_id:
        say(f"first reads staged: {', '.join(plan.first_reads)} (run {run_id})")
    started = []
    for name in plan.order:
        if not found[name].running:
            ui.start(found[name])
            started.append(name)
            say(f"on   {name}")
    _settled(ui, list(plan.order), running=True)
    detail = {
        "started": started,
        "already_on": [n for n in plan.order if n not in started],
        "first_reads_run": run_id,
        "fit": fit.said() if fit else None,
        "without_fit": refusal if refusal else None,
    }
    return ledger.note_live("live_on", by=by, integration=integration, note=why, detail=detail)


def go_off(
    integration: str, *, by: Operator, why: str, ledger: Ledger, ui: DagsterUI, say: Say = lambda line: None
) -> OperatorAction:
    """Turn ``integration`` off: its own schedules and sensors, in reverse order, and what it shares unless
    another integration that runs uses it (``running.kept_for_others``: however that one went on)."""
    may_switch(by, integration, "live_off")
    plan = live_plan(integration)
    found = _loaded(plan, ui)
    kept = kept_for_others(integration, found)
    stopped = []
    for name in reversed(plan.order):
        if name in kept:
            users = kept[name]
            say(f"kept {name} (used by {', '.join(users)}, which {'runs' if len(users) == 1 else 'run'})")
        elif found[name].running:
            ui.stop(found[name])
            stopped.append(name)
            say(f"off  {name}")
    _settled(ui, stopped, running=False)
    detail = {"stopped": stopped, "kept_for": {name: list(users) for name, users in kept.items()}}
    return ledger.note_live("live_off", by=by, integration=integration, note=why, detail=detail)
