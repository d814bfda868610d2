"""The JD Edwards and Procore simulators on free loopback ports, with the resources and ledger a
Procore -> JDE flow test runs on, runs of the integration's assets, and what a test reads back from each
side. Like ``jde_bill_world`` for JDE <-> BILL: one place for how the sandboxes are started and logged
into, so a change to it is made once.

What it provides:

* ``procore_jde_world(tmp_path, ...)``: a context manager serving both simulators (JDE AIS and Procore at
  scale 0.05, Procore's rate limits on but generous, no latency) and yielding a ``ProcoreJdeWorld``:
  ``resources`` (``jde``, ``procore``, ``staging``, ``ledger``: what ``materialize`` takes; staging and a
  SQLite ledger under ``tmp_path``), ``ledger``, ``jde_url`` / ``procore_url`` and ``day`` (the partition a
  run takes by default: today in UTC, where ``activity`` lands).
* ``all_assets()``: every asset a test may run: JDE tables, SaaS entities, and the default instance's own
  (``procore_jde_parts``), with the F0116 copy its suppliers flow reads. ``world.materialize`` /
  ``world.run`` materialize assets by name for a partition.
* JDE side: ``world.jde_rows(table, **where)`` (F4301, F4311, F0411Z1, F0911Z1, F0101, F0401, ... through
  the simulator's ``/sandbox/rows``), ``world.jde_faults(...)``.
* Procore side: ``world.procore_records(table, **where)`` (stored rows through ``/sandbox/records``: cents,
  JSON text, soft-deleted rows), ``world.procore_record(table, id)``, ``world.activity(**counts)`` (people's
  work, ``POST /sandbox/activity``; answers ``{"updated_at", "records": {kind: [ids]}}``),
  ``world.procore_faults(...)``, ``world.procore_state()``, and ``world.clerk``: a project manager on
  their own Procore app (events they cause are not the connector's own writes) who approves a given
  requisition or change order through the API (``approve_requisition``, ``approve_change_order``), so a
  test controls what is approved on a day; ``world.link_vendor`` sets a vendor's ``origin_id`` as a
  previous sync would have.
* Ledger: ``world.xrefs(entity)``, ``world.queue(flow)`` (open retry-queue items), ``world.audit_counts(
  flow)`` (audit actions counted), ``world.inbox_event(...)`` (a Procore webhook delivery stored in the
  inbox as the receiver stores it).
* ``procore_day(stamp)``: the UTC partition (``yyyy-mm-dd``) of a Procore stamp; ``busy_day()``: the
  sandboxes' mass-update day (21 days ago).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from dagster import AssetsDefinition
from procore_jde_parts import PARTS
from sandbox_hands import JdeHands
from sandbox_world import Integration, PairWorld, pair_world

from connector_assets.jde.assets import jde_assets
from connector_assets.jde.supplier_addresses import supplier_addresses_asset
from connector_assets.saas.assets import saas_assets
from connector_sandbox.jde_ais import JdeSandboxSettings
from connector_sandbox.jde_ais.settings import PeriodSettings
from connector_sandbox.procore import ProcoreSandboxSettings
from connector_sandbox.procore.settings import DEFAULT_CLIENT, ClientApp, RateLimitSettings

INTEGRATION = "procore_jde"


def all_assets() -> list[AssetsDefinition]:
    """The JDE tables and SaaS entities, then the default instance's assets and the F0116 copy (each key
    once)."""
    shared = [*jde_assets, *saas_assets]
    keys = {a.key for a in shared}
    return shared + [a for a in (*PARTS.own_assets(), supplier_addresses_asset) if a.key not in keys]


# A project manager's own app: their approvals are people's work, not the connector's writes (webhook
# events name another application), and they do not spend the connector's rate limit.
CLERK = ClientApp(
    client_id="procore-pm-clerk",
    client_secret="sandbox-clerk-secret",
    application_id="pm-clerk-app",
    service_account_user_id=7_100_002,
    service_account_name="Project Manager (test clerk)",
)
GENEROUS = RateLimitSettings(hourly_limit=1_000_000, spike_limit=100_000)
WEBHOOK_TOKEN = "sandbox-procore-hook"


def procore_day(stamp: str | datetime) -> str:
    """The UTC day (partition key) of a Procore stamp (``2025-03-04T18:22:10Z`` or a datetime)."""
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00")) if isinstance(stamp, str) else stamp
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.date().isoformat()


class ProcoreClerk:
    """A project manager working in Procore through the API on their own app: approves what a test says."""

    def __init__(self, procore_url: str, company_id: int) -> None:
        self.base, self.company_id = procore_url, company_id
        answer = requests.post(
            f"{procore_url}/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": CLERK.client_id,
                "client_secret": CLERK.client_secret,
            },
            timeout=15,
        )
        assert answer.status_code == 200, answer.text
        self.headers = {
            "Authorization": f"Bearer {answer.json()['access_token']}",
            "Procore-Company-Id": str(company_id),
        }

    def call(self, method: str, path: str, body: dict | None = None, **params: Any) -> Any:
        answer = requests.request(
            method,
            f"{self.base}/rest/v1.0/{path}",
            json=body,
            params=params,
            headers=self.headers,
            timeout=30,
        )
        assert answer.status_code < 300, f"{method} {path}: {answer.status_code} {answer.text}"
        return answer.json() if answer.content else None

    def set_business_register(self, vendor_id: int | str, register: dict) -> dict:
        """A person enters the vendor's tax registration in Procore's web app (Procore's vendor body
        takes no ``business_register``: the simulator's operator route stands in for the person)."""
        answer = requests.post(
            f"{self.base}/sandbox/vendors/{vendor_id}/business-register", json=register, timeout=10
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    def approve_requisition(
        self, project_id: int | str, requisition_id: int | str, status: str = "approved"
    ) -> dict:
        """Sets the requisition's status (Procore allows it on the latest open invoice of a commitment).
        Procore's update takes the project and the commitment in the body (SDK: Body21), no query."""
        invoice = self.call("GET", f"requisitions/{requisition_id}", project_id=project_id)
        body = {
            "project_id": int(project_id),
            "commitment_id": invoice["commitment_id"],
            "requisition": {"status": status},
        }
        return self.call("PATCH", f"requisitions/{requisition_id}", body)

    def approve_change_order(
        self, project_id: int | str, change_order_id: int | str, status: str = "approved"
    ) -> dict:
        body = {"change_order": {"status": status}}
        return self.call("PATCH", f"projects/{project_id}/commitment_change_orders/{change_order_id}", body)

    def requisition(self, project_id: int | str, requisition_id: int | str) -> dict:
        return self.call("GET", f"requisitions/{requisition_id}", project_id=project_id)


class ProcoreJdeWorld(PairWorld, JdeHands):
    """The JDE and Procore simulators, the resources ``materialize`` takes (``jde``, ``procore``,
    ``staging``, ``ledger``), the ledger, runs of a day's assets, and Procore's side (below)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.company_id = self.resources["procore"].company_ids()[0]  # the first (default) company
        self._clerk: ProcoreClerk | None = None

    # -- Procore ---------------------------------------------------------------------------------------

    def procore_records(self, table: str, **where: Any) -> list[dict]:
        """Rows the Procore simulator stores (``requisitions``, ``commitments``, ``vendors``,
        ``commitment_change_orders``, ``commitment_line_items``, ...), filtered by column equality."""
        params = {"limit": 1000, **where}
        answer = requests.get(f"{self.procore_url}/sandbox/records/{table}", params=params, timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.json()["rows"]

    def procore_record(self, table: str, record_id: int | str) -> dict:
        answer = requests.get(f"{self.procore_url}/sandbox/records/{table}/{record_id}", timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def activity(self, **counts: int) -> dict[str, Any]:
        """People's work in Procore now (``new_requisitions=2``, ``updated_change_orders=1`` ...), all
        stamped with one ``updated_at``: ``{"updated_at", "records": {kind: [ids]}}``."""
        answer = requests.post(f"{self.procore_url}/sandbox/activity", json=counts, timeout=60)
        assert answer.status_code < 300, answer.text
        return answer.json()

    def procore_faults(self, **knobs: Any) -> None:
        requests.post(f"{self.procore_url}/sandbox/faults", json=knobs, timeout=10).raise_for_status()

    def procore_state(self) -> dict:
        """Row counts, calls by endpoint, statuses (``429``), webhook counts."""
        return requests.get(f"{self.procore_url}/sandbox/state", timeout=10).json()

    @property
    def clerk(self) -> ProcoreClerk:
        if self._clerk is None:
            self._clerk = ProcoreClerk(self.procore_url, self.company_id)
        return self._clerk

    def invoiced_commitments(self) -> dict[int, dict]:
        """The live commitments on projects the service account may read that take invoices, by id."""
        projects = {p["id"] for p in self.procore_records("projects") if p["permitted"]}
        return {
            c["id"]: c
            for c in self.procore_records("commitments")
            if c["deleted_at"] is None and c["project_id"] in projects and c["requisitions_are_enabled"]
        }

    def latest_invoices(self) -> dict[int, dict]:
        """Commitment id -> its live invoice (requisition) of the highest number."""
        latest: dict[int, dict] = {}
        for r in self.procore_records("requisitions"):
            if r["deleted_at"] is None and (
                r["commitment_id"] not in latest or r["number"] > latest[r["commitment_id"]]["number"]
            ):
                latest[r["commitment_id"]] = r
        return latest

    def waiting_change_orders(self) -> dict[int, dict]:
        """Commitment id -> a live change order of it waiting for approval (pending or draft)."""
        return {
            co["contract_id"]: co
            for co in self.procore_records("commitment_change_orders")
            if co["status"] in ("pending", "draft") and co["deleted_at"] is None
        }

    def new_invoice(self, commitment: dict) -> dict:
        """A new invoice (requisition, not approved) of ``commitment`` in a billing period of its project it
        has none for yet, made by the clerk through the API; the requisition Procore answered."""
        used = {r["period_id"] for r in self.procore_records("requisitions", commitment_id=commitment["id"])}
        period = next(
            p
            for p in self.procore_records("billing_periods", project_id=commitment["project_id"])
            if p["id"] not in used
        )
        return self.clerk.call(
            "POST",
            "requisitions",
            {
                "project_id": commitment["project_id"],
                "commitment_id": commitment["id"],
                "requisition": {"period_id": period["id"]},
            },
        )

    def link_vendor(self, vendor_id: int | str, an8: int | str) -> dict:
        """The vendor carries ``origin_id`` ``JDE-V-<an8>`` / ``origin_code`` written by the connector's app,
        as an earlier sync would have left it."""
        with self.resources["procore"].session() as session:
            return session.update_vendor(vendor_id, {"origin_id": f"JDE-V-{an8}", "origin_code": str(an8)})

    # -- the ledger ------------------------------------------------------------------------------------

    def inbox_event(
        self,
        resource_name: str,
        resource_id: int | str,
        *,
        project_id: int | str | None = None,
        event_type: str = "update",
        event_id: int = 1,
        at: datetime | None = None,
        application_id: str | None = None,
    ) -> bool:
        """A Procore v2 webhook delivery stored in the inbox (source ``procore``) as the receiver stores
        it; False when that event (same ``event_id``) was stored before, as for a duplicate delivery."""
        stamp = (at or datetime.now(UTC)).astimezone(UTC)
        payload: dict[str, Any] = {
            "id": event_id,
            "ulid": f"01PROCOREJDE{event_id:014d}",
            "timestamp": stamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "metadata": {
                "source_user_id": 7_200_001,
                "source_project_id": int(project_id) if project_id is not None else None,
                "source_company_id": self.company_id,
                "source_application_id": application_id,
            },
            "user_id": 7_200_001,
            "company_id": self.company_id,
            "api_version": "v2.0",
            "event_type": event_type,
            "resource_name": resource_name,
            "resource_id": int(resource_id),
        }
        if project_id is not None:
            payload["project_id"] = int(project_id)
        body = json.dumps(payload).encode()
        return self.ledger.inbox_put(
            source="procore",
            event_id=f"ulid:{payload['ulid']}",
            body=body,
            headers={"content-type": "application/json"},
        )


def jde_settings(**values: Any) -> JdeSandboxSettings:
    """JDE at scale 0.05 as this world's customer has it: open on last month and this one. Procore's latest
    pay applications bill the billing period that ended last month (its G/L date), so a JDE open only on
    today's month would refuse them all (PBCO) on any day but the last of a month."""
    last_month = datetime.now(UTC).date().replace(day=1) - timedelta(days=1)
    periods = PeriodSettings(current_period_date=last_month)
    return JdeSandboxSettings(**{"scale": 0.05, "periods": periods, **values})


# JDE and Procore at scale 0.05 (Procore's rate limits on but generous, the clerk's app beside the
# connector's), no latency; runs take today (UTC).
INTEGRATION_WORLD = Integration(
    name=INTEGRATION,
    simulators={
        "jde": jde_settings,
        "procore": lambda: procore_settings(seeded_companies=1),
    },
    fields={"procore": {"webhook_token": WEBHOOK_TOKEN}},
    assets=all_assets,
    target="JDE",
)


def procore_settings(seeded_companies: int) -> ProcoreSandboxSettings:
    return ProcoreSandboxSettings(
        scale=0.05, rate_limits=GENEROUS, clients=(DEFAULT_CLIENT, CLERK), seeded_companies=seeded_companies
    )


@contextmanager
def procore_jde_world(
    tmp_path: Path,
    *,
    jde: JdeSandboxSettings | None = None,
    procore: ProcoreSandboxSettings | None = None,
    db: str | None = None,
    project_ids: str = "",
    seeded_companies: int = 1,
) -> Iterator[ProcoreJdeWorld]:
    """Both simulators served for the block (``INTEGRATION_WORLD``'s settings unless given), a world on
    them; ``db`` is the ledger (a SQLite file under ``tmp_path`` unless given); ``project_ids`` limits the
    Procore reads (``ML_PROCORE_PROJECT_IDS``). ``seeded_companies=2``: the Procore sandbox connects and
    seeds its second company too, and the resource is configured with both
    (``ML_PROCORE_COMPANY_ID=<first>,<second>``)."""
    procore = procore or procore_settings(seeded_companies)
    seeded = procore.seeded_company_ids
    companies = {"company_id": ",".join(map(str, seeded))} if len(seeded) > 1 else {}
    fields = {"procore": {"project_ids": project_ids, **companies}}
    settings = {"jde": jde, "procore": procore}
    with pair_world(
        INTEGRATION_WORLD, tmp_path, ProcoreJdeWorld, settings=settings, fields=fields, db=db
    ) as world:
        yield world
