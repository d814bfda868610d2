"""A secret planted in the vault (or given by EnvVar) never shows up anywhere a person can read it.

The run below really uses the secret: the assets log in to a real local HTTP server with it, and that
server misbehaves the way real ones do, echoing the credential back in error bodies. Afterwards every
place Dagster and our code write to is searched for the value: the run's event log (including the
step failure's exception text), the stored run config, asset metadata, Python log records, captured
stdout/stderr, and every file under the instance directory (compute logs, storage).
"""

import base64
import uuid
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from dagster import AssetExecutionContext, EnvVar, MaterializeResult, asset, materialize, serialize_value
from http_server import CannedResponse, RecordedRequest, ScriptedServer
from instances import instance_for_test

from connector_resources.base import ApiConnectionResource
from connector_resources.http import BasicAuth, HttpClient, HttpPolicy
from connector_resources.ledger import Ledger
from connector_resources.vault import Vault


class EchoApiResource(ApiConnectionResource):
    """A minimal API resource built the way the real ones are: secrets resolved at login time."""

    base_url: str
    username: str
    password: str

    def client(self) -> HttpClient:
        policy = HttpPolicy(max_attempts=3, backoff_base=0.01, backoff_cap=0.05, read_timeout=5)
        return HttpClient(
            "echo", self.base_url, auth=BasicAuth(self.username, self.secret(self.password)), policy=policy
        )


@asset
def pull_ok(context: AssetExecutionContext, api: EchoApiResource) -> MaterializeResult:
    client = api.client()
    rows = client.get("/ok").json()["rows"]
    context.log.info(f"read {rows} rows from {client.base_url}")
    return MaterializeResult(metadata={"rows": rows, **client.metrics.as_metadata()})


@asset
def pull_fail(context: AssetExecutionContext, api: EchoApiResource) -> MaterializeResult:
    client = api.client()
    client.get("/fail")  # answers 503 with the password in the body until retries run out
    return MaterializeResult()


def _texts_under(folder: Path) -> str:
    chunks = []
    for path in folder.rglob("*"):
        if path.is_file():
            chunks.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(chunks)


@pytest.mark.parametrize("source", ["vault", "envvar"])
def test_planted_secret_is_absent_everywhere(source, tmp_path, monkeypatch, caplog, capfd):
    secret = f"Pl4nted-{uuid.uuid4().hex}"
    basic = base64.b64encode(f"svc-user:{secret}".encode()).decode()
    db_url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    monkeypatch.setenv("ML_CONNECTOR_DB_URL", db_url)
    monkeypatch.setenv("ML_CONNECTOR_VAULT_KEY", Fernet.generate_key().decode())
    if source == "vault":
        Vault(Ledger(db_url)).set("echo/password", secret)
        password = "vault:echo/password"
    else:
        monkeypatch.setenv("ECHO_API_PASSWORD", secret)
        password = EnvVar("ECHO_API_PASSWORD")

    def ok(request: RecordedRequest) -> CannedResponse:
        if request.headers.get("Authorization") != f"Basic {basic}":
            return CannedResponse(403, {"error": "bad credentials"})
        return CannedResponse(200, {"rows": 3, "echo": request.headers["Authorization"]})

    echo = f"login failed for svc-user password={secret} (Authorization: Basic {basic}) raw {secret}"
    (tmp_path / "instance").mkdir()
    with ScriptedServer() as server:
        server.route("/ok", ok)
        server.route("/fail", CannedResponse(503, {"message": echo}, headers={"X-Debug": secret}))
        resource = EchoApiResource(base_url=server.url_for(""), username="svc-user", password=password)
        with instance_for_test(temp_dir=str(tmp_path / "instance")) as instance:
            caplog.set_level("DEBUG")
            result = materialize(
                [pull_ok, pull_fail], resources={"api": resource}, instance=instance, raise_on_error=False
            )
            run = instance.get_run_by_id(result.run_id)
            events = instance.all_logs(result.run_id)
            event_text = "\n".join(serialize_value(e) for e in events)
            run_config_text = serialize_value(run.run_config) + repr(run.run_config)
        ok_hits = server.hits("/ok")
        fail_hits = server.hits("/fail")

    # The secret really was used: the server accepted it, and the failing call was retried.
    assert [h.headers["Authorization"] for h in ok_hits] == [f"Basic {basic}"]
    assert len(fail_hits) == 3
    assert not result.success
    failure = [e for e in events if e.dagster_event and e.dagster_event.event_type_value == "STEP_FAILURE"]
    assert failure and "503" in serialize_value(failure[0])

    out, err = capfd.readouterr()
    places = {
        "event log": event_text,
        "run config": run_config_text,
        "metadata": repr([m.materialization.metadata for m in result.get_asset_materialization_events()]),
        "python logs": caplog.text,
        "stdout/stderr": out + err,
        "instance files": _texts_under(tmp_path / "instance"),
    }
    for place, text in places.items():
        assert secret not in text, f"secret leaked into {place}"
        assert basic not in text, f"base64 credential leaked into {place}"
    assert "rows" in places["metadata"]
