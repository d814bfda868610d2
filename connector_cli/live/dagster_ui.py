"""The few things going live asks of the deployment's Dagster webserver, through its GraphQL API.

Why the webserver: it is the one process that has the deployment's code location loaded, so turning a
schedule or sensor on or off there is exactly what the UI's toggle does (``startSchedule``, ``startSensor``,
``stopRunningSchedule``, ``stopSensor``), for the daemon to act on; and a run of the first reads is
launched as the UI launches it (``launchRun`` of the implicit asset job) and watched until it ends.
The webserver answers a mutation that failed with a ``PythonError`` body under HTTP 500: the body is read
first.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import requests

ASSET_JOB = "__ASSET_JOB"  # Dagster's implicit job of every asset of a repository
TERMINAL_RUN = frozenset({"SUCCESS", "FAILURE", "CANCELED"})

_INSTIGATORS = """{ repositoriesOrError { __typename
  ... on RepositoryConnection { nodes { name location { name }
    schedules { name canReset scheduleState { id status } }
    sensors { name canReset sensorState { id status } } } }
  ... on PythonError { message } } }"""

_START_SCHEDULE = """mutation($s: ScheduleSelector!) { startSchedule(scheduleSelector: $s) { __typename
  ... on ScheduleStateResult { scheduleState { status } } ... on PythonError { message }
  ... on UnauthorizedError { message } ... on ScheduleNotFoundError { message } } }"""

_STOP_SCHEDULE = """mutation($id: String!) { stopRunningSchedule(id: $id) { __typename
  ... on ScheduleStateResult { scheduleState { status } } ... on PythonError { message }
  ... on UnauthorizedError { message } ... on ScheduleNotFoundError { message } } }"""

_START_SENSOR = """mutation($s: SensorSelector!) { startSensor(sensorSelector: $s) { __typename
  ... on Sensor { sensorState { status } } ... on PythonError { message }
  ... on UnauthorizedError { message } ... on SensorNotFoundError { message } } }"""

_STOP_SENSOR = """mutation($id: String!) { stopSensor(id: $id) { __typename
  ... on StopSensorMutationResult { instigationState { status } } ... on PythonError { message }
  ... on UnauthorizedError { message } } }"""

_LAUNCH = """mutation($p: ExecutionParams!) { launchRun(executionParams: $p) { __typename
  ... on LaunchRunSuccess { run { runId status } } ... on PythonError { message }
  ... on Error { message } } }"""

_SET_POOL = """mutation($pool: String!, $limit: Int!) {
  setConcurrencyLimit(concurrencyKey: $pool, limit: $limit) }"""

_RUN = """query($id: ID!) { runOrError(runId: $id) { __typename ... on Run { status }
  ... on PythonError { message } ... on RunNotFoundError { message } } }"""


class DagsterUnreachable(Exception):
    """The webserver did not answer, or answered an error (the sentence says which and what it said)."""


@dataclass(frozen=True)
class Instigator:
    """A schedule or sensor as the webserver's code location has it, and whether it runs. ``switched``:
    someone turned it on or off (the UI's toggle, ``live``), so its status is Dagster's stored one; else it
    is the code's ``default_status`` (``ML_AUTOMATION_DEFAULT``), which Dagster's ``canReset`` tells apart."""

    name: str
    kind: str  # "schedule" or "sensor"
    running: bool
    state_id: str
    location: str
    repository: str
    switched: bool = False

    @property
    def how(self) -> str:
        """Why it runs or not, in words: ``running by default``, ``stopped (switched)``."""
        return f"{'running' if self.running else 'stopped'} {'(switched)' if self.switched else 'by default'}"


class DagsterUI:
    """The webserver at ``url`` (``ML_DAGSTER_URL``)."""

    def __init__(self, url: str, *, timeout: float = 60) -> None:
        self.url, self.timeout = url.rstrip("/"), timeout

    def gql(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        try:
            answer = requests.post(
                f"{self.url}/graphql",
                json={"query": query, "variables": dict(variables or {})},
                timeout=self.timeout,
            )
            body = answer.json()
        except (requests.RequestException, ValueError) as exc:
            raise DagsterUnreachable(
                f"the Dagster webserver at {self.url} did not answer ({type(exc).__name__}); is it "
                "running, and is ML_DAGSTER_URL its address?"
            ) from None
        if body.get("errors"):
            raise DagsterUnreachable(f"the Dagster webserver refused: {body['errors'][0].get('message')}")
        return body["data"]

    def instigators(self) -> dict[str, Instigator]:
        """Every schedule and sensor of the webserver's code locations, by name."""
        found = self.gql(_INSTIGATORS)["repositoriesOrError"]
        if found["__typename"] != "RepositoryConnection":
            raise DagsterUnreachable(f"the Dagster webserver could not list its code: {found.get('message')}")
        out: dict[str, Instigator] = {}
        for repo in found["nodes"]:
            where = (repo["location"]["name"], repo["name"])
            for kind, key in (("schedule", "scheduleState"), ("sensor", "sensorState")):
                for item in repo[f"{kind}s"]:
                    state = item[key]
                    running = state["status"] == "RUNNING"
                    out[item["name"]] = Instigator(
                        item["name"], kind, running, state["id"], *where, switched=bool(item["canReset"])
                    )
        return out

    def start(self, instigator: Instigator) -> None:
        """Turn it on, as the UI's toggle does."""
        selector = {"repositoryLocationName": instigator.location, "repositoryName": instigator.repository}
        if instigator.kind == "schedule":
            done = self.gql(_START_SCHEDULE, {"s": {**selector, "scheduleName": instigator.name}})[
                "startSchedule"
            ]
            _expect(done, "ScheduleStateResult", f"start {instigator.name}")
        else:
            done = self.gql(_START_SENSOR, {"s": {**selector, "sensorName": instigator.name}})["startSensor"]
            _expect(done, "Sensor", f"start {instigator.name}")

    def stop(self, instigator: Instigator) -> None:
        """Turn it off, as the UI's toggle does."""
        ids = {"id": instigator.state_id}  # the state's compound id names origin and selector both
        if instigator.kind == "schedule":
            done = self.gql(_STOP_SCHEDULE, ids)["stopRunningSchedule"]
            _expect(done, "ScheduleStateResult", f"stop {instigator.name}")
        else:
            done = self.gql(_STOP_SENSOR, ids)["stopSensor"]
            _expect(done, "StopSensorMutationResult", f"stop {instigator.name}")

    def set_pool_limit(self, pool: str, limit: int) -> None:
        """Limit the concurrency pool ``pool`` to ``limit`` steps at once (kept in the instance)."""
        if not self.gql(_SET_POOL, {"pool": pool, "limit": limit})["setConcurrencyLimit"]:
            raise DagsterUnreachable(f"Dagster did not set the limit of pool {pool}")

    def materialize(
        self, instigator: Instigator, keys: Iterable[str], *, wait: float = 900, poll: float = 2
    ) -> tuple[str, str]:
        """Run the assets ``keys`` (``jde_coupa/payment_terms_map``) in the code location of
        ``instigator``, as "Materialize" in the UI; wait for the run to end: ``(run id, status)``."""
        params = {
            "selector": {
                "repositoryLocationName": instigator.location,
                "repositoryName": instigator.repository,
                "jobName": ASSET_JOB,
                "assetSelection": [{"path": key.split("/")} for key in keys],
            },
            "executionMetadata": {"tags": [{"key": "ml-connector/why", "value": "going live: first reads"}]},
        }
        launched = self.gql(_LAUNCH, {"p": params})["launchRun"]
        _expect(launched, "LaunchRunSuccess", "launch the first reads")
        run_id = launched["run"]["runId"]
        deadline = time.monotonic() + wait
        while True:
            run = self.gql(_RUN, {"id": run_id})["runOrError"]
            _expect(run, "Run", f"read run {run_id}")
            if run["status"] in TERMINAL_RUN or time.monotonic() > deadline:
                return run_id, run["status"]
            time.sleep(poll)


def _expect(answer: Mapping[str, Any], typename: str, what: str) -> None:
    if answer["__typename"] != typename:
        raise DagsterUnreachable(f"Dagster could not {what}: {answer.get('message') or answer['__typename']}")
