"""The sandbox credentials of each client, for a test that runs its own simulator on a free port.

One place, so a test says only which simulator it talks to and what it tunes (backoff, page size).
These are the simulators' own sandbox accounts (the settings' defaults), never real secrets.
"""

from pathlib import Path
from typing import Any

import pytest
import requests

from connector_resources.bill import BillResource
from connector_resources.coupa import CoupaResource
from connector_resources.fusion import FusionResource
from connector_resources.jde import JdeAisResource
from connector_resources.procore import ProcoreResource
from connector_resources.procurify import ProcurifyResource
from connector_sandbox.procore import ProcoreSandboxSettings
from connector_sandbox.procore.settings import RateLimitSettings

LOGINS: dict[type, dict[str, Any]] = {
    JdeAisResource: {
        "username": "INTEGR8",
        "password": "integr8-sandbox",
        "environment": "JPS920",
        "role": "*ALL",
    },
    CoupaResource: {"client_id": "ml-connector-sandbox", "client_secret": "sandbox-coupa-secret"},
    BillResource: {
        "username": "sandbox@ml-connector.invalid",
        "password": "sandbox-bill",
        "organization_id": "00801SANDBOXORG00001",
        "dev_key": "sandbox-bill-devkey",
    },
    ProcoreResource: {
        "company_id": "4264807",
        "client_id": "ml-connector-sandbox",
        "client_secret": "sandbox-procore-secret",
    },
    ProcurifyResource: {"client_id": "ml-connector-sandbox", "client_secret": "sandbox-procurify-secret"},
    # The token URL is the pod's own (the sandbox serves both): a test passes token_url with its port.
    FusionResource: {
        "client_id": "ml-connector-sandbox",
        "client_secret": "sandbox-fusion-secret",
        "scope": "urn:opc:resource:consumer::all",
    },
}


def unthrottled_procore(scale: float, **settings: Any) -> ProcoreSandboxSettings:
    """The Procore simulator's settings with rate limits no test reaches: a test measures behaviour, not
    pacing (the rate-limit tests set their own)."""
    limits = RateLimitSettings(spike_limit=100_000, hourly_limit=1_000_000)
    return ProcoreSandboxSettings(scale=scale, rate_limits=limits, **settings)


def client_credentials_token(token_url: str, resource_class: type, **form: str) -> str:
    """An access token from the simulator's token endpoint ``token_url`` for ``resource_class``'s sandbox
    client (the client_credentials grant; ``form`` adds fields, e.g. ``scope``): for a test that calls the
    API by hand, not through the client."""
    login = LOGINS[resource_class]
    answer = requests.post(
        token_url,
        data={
            "grant_type": "client_credentials",
            "client_id": login["client_id"],
            "client_secret": login["client_secret"],
            **form,
        },
        timeout=10,
    )
    answer.raise_for_status()
    return answer.json()["access_token"]


def on_simulator(resource_class: type, base_url: str, **fields: Any) -> Any:
    """``resource_class`` logged into the simulator at ``base_url`` with its sandbox account."""
    return resource_class(base_url=base_url, **LOGINS[resource_class], **fields)


def procurify_resource(base_url: str, **fields: Any) -> ProcurifyResource:
    """The Procurify client logged into the simulator at ``base_url``: no client-side pace (the simulator
    has no rate limit by default) and short backoffs, so injected faults retry quickly."""
    values: dict[str, Any] = {
        "base_url": base_url,
        **LOGINS[ProcurifyResource],
        "rate_per_second": 0,
        "backoff_base": 0.05,
        "page_size": 100,
        **fields,
    }
    return ProcurifyResource(**values)


def jde_settings_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, jde_url: str) -> None:
    """ml-connector's settings as a CLI command reads them, for a run against the JDE simulator at
    ``jde_url``: a Dagster home and a SQLite ledger under ``tmp_path``, and JDE's sandbox login."""
    jde = LOGINS[JdeAisResource]
    values = {
        "DAGSTER_HOME": str(tmp_path),
        "ML_CONNECTOR_DB_URL": f"sqlite:///{tmp_path / 'ledger.sqlite'}",
        "ML_JDE_AIS_URL": jde_url,
        "ML_JDE_USERNAME": jde["username"],
        "ML_JDE_PASSWORD": jde["password"],
        "ML_JDE_ENVIRONMENT": jde["environment"],
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)


# The Fusion sandbox pod's business unit: ML_FUSION_BUSINESS_UNIT's sandbox default (company 101, USD).
BUSINESS_UNIT = "US1 Business Unit"


def fusion_resource(base_url: str, **fields: Any) -> FusionResource:
    """The Fusion client logged into the pod at ``base_url`` by OAuth client credentials (the pod's own
    token endpoint, acting as user ml.integration: every role, every business unit), with short backoffs
    so injected faults retry quickly."""
    values: dict[str, Any] = {
        "base_url": base_url,
        "token_url": f"{base_url}/oauth2/v1/token",
        "auth": "oauth",
        **LOGINS[FusionResource],
        "business_unit": BUSINESS_UNIT,
        "backoff_base": 0.05,
        "backoff_cap": 0.2,
        "retry_after_cap": 0.2,
        "read_timeout": 30.0,
        "deadline": 60.0,
        **fields,
    }
    return FusionResource(**values)


def answered(response: requests.Response, what: str) -> Any:
    assert response.status_code < 300, f"{what}: {response.status_code} {response.text}"
    return response.json() if response.content else None
