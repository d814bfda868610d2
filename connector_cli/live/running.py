"""What runs, as Dagster's own state has it: each integration the webserver loads (on, off or partly on, and
why: its last ``live`` switch, the deployment's default or the Dagster UI) and the schedules and sensors
they share, with the integrations that use each.

Why Dagster's state and not the ledger's switches: an integration runs when its schedules and sensors run,
however they came to: ``live on``, their ``default_status`` (``ML_AUTOMATION_DEFAULT=running``) or the UI's
toggle. ``live off`` keeps what a running integration uses, and ``live status`` and the desk's Live page
show the same picture, so all three read it here.
"""

from __future__ import annotations

from dataclasses import dataclass

from connector_cli.live.dagster_ui import DagsterUI, Instigator
from connector_cli.live.plan import LivePlan, live_plan
from connector_resources.ledger import Ledger
from connector_resources.ledger.operator_actions import OperatorAction

Found = dict[str, Instigator]  # the webserver's schedules and sensors, by name


@dataclass(frozen=True)
class LiveState:
    """One integration as it is now: its own schedules and sensors running or not (those running by the
    deployment's default apart), and its last switch with ``live``."""

    integration: str
    running: tuple[str, ...]
    stopped: tuple[str, ...]
    by_default: tuple[str, ...]  # running because their default status is RUNNING, never switched
    switch: OperatorAction | None

    @property
    def state(self) -> str:
        if not self.running:
            return "off"
        return (
            "on"
            if not self.stopped
            else f"partly on ({len(self.running)} of {len(self.running) + len(self.stopped)})"
        )

    @property
    def last_switch(self) -> str:
        """``turned on by alice at 2026-11-26 09:14 UTC: first day of the pilot``, or never."""
        if self.switch is None:
            return "never switched with `live`"
        verb = "turned on" if self.switch.action == "live_on" else "turned off"
        return f"{verb} by {self.switch.actor} at {self.switch.at:%Y-%m-%d %H:%M} UTC: {self.switch.note}"

    @property
    def runs_by(self) -> str:
        """Why it runs when ``live on`` is not the reason (its last switch is none, or ``live off``): the
        deployment's default, the Dagster UI, or both; empty otherwise."""
        if not self.running or (self.switch is not None and self.switch.action == "live_on"):
            return ""
        default = "the deployment's default (ML_AUTOMATION_DEFAULT=running)"
        if len(self.by_default) == len(self.running):
            return default
        return "the Dagster UI" if not self.by_default else f"{default} and the Dagster UI"

    @property
    def since(self) -> str:
        """What Dagster says that its last switch does not: ``runs by ...`` (``runs_by``), or that what
        ``live on`` started was stopped since (in the Dagster UI); empty when the two agree."""
        if self.runs_by:
            return f"runs by {self.runs_by}"
        if self.switch is not None and self.switch.action == "live_on" and self.stopped:
            return f"{len(self.stopped)} stopped since, in the Dagster UI"
        return ""

    def said(self) -> str:
        """One line: ``jde_coupa  on  never switched with `live`; runs by the deployment's default (...)``."""
        why = f"{self.last_switch}; {self.since}" if self.since else self.last_switch
        return f"{self.integration:<18} {self.state:<18} {why}"


@dataclass(frozen=True)
class SharedPiece:
    """A schedule or sensor that several integrations use (the systems' polls, the automation sensor, the
    alerts, the replay): kept running while one of ``running_users`` runs."""

    name: str
    instigator: Instigator
    users: tuple[str, ...]
    running_users: tuple[str, ...]

    def said(self) -> str:
        """``  jde_poll_schedule   running by default   used by jde_bill, jde_coupa (running: jde_coupa)``."""
        running = ", ".join(self.running_users) or "none"
        users = ", ".join(self.users)
        return f"  {self.name:<30} {self.instigator.how:<20} used by {users} (running: {running})"


@dataclass(frozen=True)
class WhatRuns:
    """Each integration the webserver loads and the pieces they share, read at one moment."""

    states: tuple[LiveState, ...]
    shared: tuple[SharedPiece, ...]

    def said(self) -> list[str]:
        """What ``ml-connector live status`` prints."""
        lines = [state.said() for state in self.states]
        if self.shared:
            lines.append("shared (`live off` stops one only when no integration that uses it runs):")
            lines += [piece.said() for piece in self.shared]
        return lines


def loaded_plans(found: Found) -> dict[str, LivePlan]:
    """The plan of each integration of the project whose schedules and sensors the webserver loads (by
    name), whatever this process's ``ML_INTEGRATIONS`` says: the webserver's is what runs."""
    from connector_assets.deployment import known_names

    plans = {name: live_plan(name) for name in known_names()}
    return {name: plan for name, plan in plans.items() if any(flow in found for flow in plan.flows)}


def runs(plan: LivePlan, found: Found) -> bool:
    """Whether any of the integration's own schedules and sensors runs: then it uses what it shares."""
    return any(found[name].running for name in plan.flows if name in found)


def users_of_shared(plans: dict[str, LivePlan]) -> dict[str, tuple[str, ...]]:
    """Each shared schedule or sensor, with the integrations among ``plans`` that use it."""
    users: dict[str, list[str]] = {}
    for integration, plan in plans.items():
        for name in plan.kept_for_others:
            users.setdefault(name, []).append(integration)
    return {name: tuple(sorted(by)) for name, by in sorted(users.items())}


def kept_for_others(integration: str, found: Found) -> dict[str, tuple[str, ...]]:
    """What another running integration uses (by name, with those integrations): ``live off integration``
    leaves it running, whether the other went on with ``live``, by default or in the Dagster UI."""
    plans = loaded_plans(found)
    others = {name: plan for name, plan in plans.items() if name != integration and runs(plan, found)}
    return users_of_shared(others)


def what_runs(*, ledger: Ledger, ui: DagsterUI) -> WhatRuns:
    """Each integration the webserver loads as it is now, and the shared pieces with their users."""
    found = ui.instigators()
    plans = loaded_plans(found)
    switches = ledger.live_switches()
    states = []
    for integration, plan in plans.items():
        own = [found[name] for name in plan.flows if name in found]
        states.append(
            LiveState(
                integration,
                running=tuple(i.name for i in own if i.running),
                stopped=tuple(i.name for i in own if not i.running),
                by_default=tuple(i.name for i in own if i.running and not i.switched),
                switch=switches.get(integration),
            )
        )
    running = {name for name, plan in plans.items() if runs(plan, found)}
    shared = tuple(
        SharedPiece(name, found[name], users, tuple(u for u in users if u in running))
        for name, users in users_of_shared(plans).items()
        if name in found
    )
    return WhatRuns(tuple(states), shared)
