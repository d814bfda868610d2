"""Step retries: only errors that can go away on a later attempt are retried, by one policy.

Three layers: the classification of every client's error classes; a Dagster run of a small asset
declared with ``retried_asset`` (attempts counted, retry events read from a real instance); and a real
SaaS source asset against the Procore simulator, where a 400 refusal fails the step at once and a 503
outage is retried until it clears.
"""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import pytest
import requests
from dagster import AssetKey, DagsterEventType, Failure, MaterializeResult, materialize
from instances import instance_for_test
from sandbox_logins import on_simulator, unthrottled_procore

from connector_assets.flows.target_boundary import UNWRAPPED
from connector_assets.runtime.staging import StagingError, StagingResource
from connector_assets.runtime.step_retry import (
    DELAY_ENV,
    RETRIES_ENV,
    classify,
    is_transient,
    retried_asset,
    retry_window,
    step_retry_policy,
)
from connector_assets.saas.entities import SaasEntity, build_entity_asset, saas_daily_partitions
from connector_resources.bill.errors import (
    BillAuthError,
    BillDataError,
    BillInputError,
    BillNotFoundError,
    BillRateLimitError,
    BillUnavailableError,
    BillValidationError,
)
from connector_resources.coupa import errors as coupa_errors
from connector_resources.fusion import errors as fusion_errors
from connector_resources.http.errors import (
    AuthenticationError,
    ClientError,
    RateLimitedError,
    ServerError,
    TransportError,
)
from connector_resources.jde.errors import (
    JdeAllowlistError,
    JdeAuthError,
    JdeInputError,
    JdeMessage,
    JdeOrchestrationError,
    JdeQueryError,
)
from connector_resources.ledger import LedgerResource
from connector_resources.procore.errors import (
    ProcoreAuthError,
    ProcoreConflictError,
    ProcoreDataError,
    ProcoreError,
    ProcorePermissionError,
    ProcoreRateLimitError,
    ProcoreValidationError,
)
from connector_resources.procurify.errors import (
    ProcurifyAuthError,
    ProcurifyFilterIgnoredError,
    ProcurifyRateLimitError,
    ProcurifyUnavailableError,
    ProcurifyValidationError,
)
from connector_resources.settings import SettingError
from connector_sandbox.serve import serve_in_thread

ISSUE_ERROR = (
    "Procore list commitments: record 7 has field 'updated_at' = None, which is not a timestamp, "
    "so it cannot be placed in a change window"
)


def _wrapped(outer: Exception, inner: Exception) -> Exception:
    """``outer`` raised while handling ``inner`` with ``from None``, as the clients translate errors."""
    try:
        try:
            raise inner
        except Exception:
            raise outer from None
    except Exception as exc:
        return exc


def _transport() -> TransportError:
    return TransportError("jde", "POST", "http://127.0.0.1:1/jderest/v2/dataservice", detail="refused")


PERMANENT = [
    ProcoreDataError(ISSUE_ERROR),
    StagingError("jde F4211 1: field UPMJ has value 'x', not a valid date"),
    ClientError("coupa", "GET", "http://x/api/invoices", status=400),
    AuthenticationError("bill", "POST", "http://x/login", status=401),
    ServerError("jde", "GET", "http://x", status=501),
    BillAuthError("BDC_1102 wrong password"),
    BillInputError("bill B-1: amount is a float"),
    BillValidationError("BILL refused", status=400),
    BillNotFoundError("no vendor", status=404),
    BillDataError("BILL bill 1: updatedTime is None, not a timestamp"),
    BillRateLimitError("hourly cap", retry_at=datetime.now(UTC) + timedelta(minutes=50)),
    coupa_errors.CoupaAuthError("token refused", status=401),
    coupa_errors.CoupaScopeError("missing scope", missing=("core.invoice.read",), status=403),
    coupa_errors.CoupaInputError("amount is a float", field="total"),
    coupa_errors.CoupaValidationError("refused", status=422),
    coupa_errors.CoupaQueryError("bad filter", status=400),
    coupa_errors.CoupaNotFoundError("no invoice", status=404),
    coupa_errors.CoupaResponseError("XML despite Accept: application/json"),
    fusion_errors.FusionAuthError("basic credentials wrong", status=401),
    fusion_errors.FusionPermissionError("no role", status=403),
    fusion_errors.FusionValidationError("refused", status=400),
    fusion_errors.FusionQueryError("bad q", status=400),
    fusion_errors.FusionResponseError("no items"),
    JdeAuthError("login refused", status=403),
    JdeAllowlistError("allowed hosts", status=405),
    JdeInputError("float amount"),
    JdeQueryError("JD Edwards AIS refused the read of F4211: bad column", table="F4211", status=400),
    JdeQueryError("rowset is not a list", table="F4211"),
    JdeOrchestrationError(
        "refused", orchestration="ORCH_X", messages=(JdeMessage(code="0052", title="bad AN8"),)
    ),
    ProcoreAuthError("bad client secret", status=401),
    ProcorePermissionError("app not installed", status=403),
    ProcoreValidationError("can't be blank", status=422),
    ProcoreConflictError("origin_id taken", status=409),
    ProcoreError("Procore refused to list commitments (HTTP 408): too large", status=408),
    ProcoreRateLimitError("budget spent", status=429, reset_at=datetime.now(UTC).timestamp() + 3000),
    ProcurifyAuthError("client credentials refused", status=401),
    ProcurifyValidationError("refused", status=400),
    ProcurifyFilterIgnoredError("rows outside the filter"),
    SettingError("ML_JDE_AIS_URL='x' is not an http(s) URL"),
    KeyError("id"),
    RuntimeError("something nobody classified"),
    _wrapped(JdeQueryError("cannot read F4211", table="F4211"), ValueError("bad json")),
]

TRANSIENT = [
    ProcurifyUnavailableError("gateway timed out on each of 6 attempts", status=504),
    ServerError("coupa", "GET", "http://x", status=503),
    _transport(),
    RateLimitedError("procurify", "GET", "http://x", status=429),
    BillUnavailableError("BILL 502", status=502),
    BillRateLimitError("throttled", status=429),
    coupa_errors.CoupaUnavailableError("down", status=503),
    coupa_errors.CoupaRateLimitError("429s", status=429),
    coupa_errors.CoupaOutcomeUnknownError("no answer to a create"),
    fusion_errors.FusionUnavailableError("maintenance window", status=503),
    fusion_errors.FusionRateLimitError("429s", retry_after=5, status=429),
    ProcoreError("Procore refused to list vendors (HTTP 502)", status=502),
    ProcoreRateLimitError("still 429", status=429),
    ProcoreAuthError("Procore's login host refused to issue an access token (HTTP 503)", status=503),
    ProcurifyUnavailableError("5xx", status=503),
    ProcurifyRateLimitError("429s", retry_after=3),
    JdeQueryError("could not read F4211", table="F4211", status=503),
    _wrapped(JdeQueryError("JD Edwards AIS could not read F4211", table="F4211"), _transport()),
    _wrapped(ProcoreError("Procore: could not list vendors: no answer"), _transport()),
    JdeOrchestrationError("no answer", orchestration="ORCH_X", outcome_unknown=True),
    # Reads that gave up because the source kept changing: each client's own words (see _RERUN_ADVICE).
    JdeQueryError(
        "F4211 changed while the read was being resumed (the row at the resume position is not the last "
        "one read); run the read again",
        table="F4211",
    ),
    JdeQueryError("F4211 lost rows while the read was being resumed; run the read again", table="F4211"),
    ProcoreDataError(
        "Procore list vendors: records kept changing while being read (x, 4 re-reads); run the read again"
    ),
    fusion_errors.FusionResponseError(
        "invoices: rows at LastUpdateDate 2024-01-01 kept moving while being read (4 re-reads)"
    ),
    ProcurifyFilterIgnoredError(
        "Procurify bills kept changing while being read (4 reads); run the read again later"
    ),
    BillDataError("BILL bills: the offset read became unusable after 40 rows (gap); run the read again"),
    requests.ConnectionError("connection refused"),
    requests.Timeout("read timed out"),
    ConnectionResetError("reset by peer"),
    TimeoutError("slot"),
]


@pytest.mark.parametrize("exc", PERMANENT, ids=lambda e: type(e).__name__)
def test_errors_that_cannot_go_away_are_permanent(exc):
    verdict = classify(exc)
    assert not verdict.transient, verdict
    assert not is_transient(exc)


@pytest.mark.parametrize("exc", TRANSIENT, ids=lambda e: type(e).__name__)
def test_outages_and_throttling_are_transient(exc):
    assert classify(exc).transient, classify(exc)


@pytest.mark.parametrize(
    ("module", "phrase"),
    [
        ("connector_resources.jde.paging", "run the read again"),
        ("connector_resources.procore.session", "run the read again"),
        ("connector_resources.fusion.paging", "while being read"),
        ("connector_resources.procurify.session", "while being read"),
        ("connector_resources.bill.changes", "run the read again"),
    ],
)
def test_the_clients_still_give_the_rerun_advice_the_classifier_reads(module, phrase):
    # The classifier recognises "the source moved under the read" by the clients' own words; if a
    # client rewords its message, this fails instead of the error silently becoming permanent.
    import importlib
    import inspect

    assert phrase in inspect.getsource(importlib.import_module(module))


def test_a_database_that_cannot_be_reached_is_transient_and_a_missing_table_is_not(tmp_path):
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    unreachable = create_engine(f"postgresql+psycopg2://nobody@127.0.0.1:{_closed_port()}/ledger")
    with pytest.raises(OperationalError) as refused:
        unreachable.connect()
    assert is_transient(refused.value), str(refused.value)
    engine = create_engine(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    with engine.connect() as conn, pytest.raises(OperationalError) as missing_table:
        conn.execute(text("SELECT * FROM mlc_nothing"))
    assert not is_transient(missing_table.value)


def test_the_policy_is_one_factory_with_env_overrides(monkeypatch):
    monkeypatch.delenv(RETRIES_ENV, raising=False)
    monkeypatch.delenv(DELAY_ENV, raising=False)
    policy = step_retry_policy()
    assert (policy.max_retries, policy.delay) == (2, 15)
    # 15 s then 45 s nominal, each up to +15 s of jitter.
    assert retry_window(policy) == pytest.approx(15 + 15 + 45 + 15)
    monkeypatch.setenv(RETRIES_ENV, "4")
    monkeypatch.setenv(DELAY_ENV, "0.5")
    assert (step_retry_policy().max_retries, step_retry_policy().delay) == (4, 0.5)
    for env, bad in ((DELAY_ENV, "-1"), (DELAY_ENV, "soon"), (RETRIES_ENV, "1.5"), (RETRIES_ENV, "-2")):
        monkeypatch.setenv(DELAY_ENV, "0.5")
        monkeypatch.setenv(RETRIES_ENV, "4")
        monkeypatch.setenv(env, bad)
        with pytest.raises(SettingError, match=f"{env}='{bad}'"):
            step_retry_policy()


def test_every_retried_asset_uses_the_one_policy_and_fails_fast():
    from connector_assets.definitions import defs

    retried = [a for a in defs.assets if getattr(a, "op", None) is not None and a.op.retry_policy is not None]
    assert {a.key.to_user_string() for a in retried} >= {"procore/vendors", "jde/gl_accounts"}
    for assets_def in retried:
        name = assets_def.key.to_user_string()
        assert assets_def.op.retry_policy == step_retry_policy(), name
        assert getattr(assets_def.op.compute_fn.decorated_fn, "fails_fast", False), name


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _attempts(result, step: str) -> tuple[int, int]:
    """(STEP_UP_FOR_RETRY events, STEP_FAILURE events) of ``step`` in a run."""
    events = result.all_events
    retries = [e for e in events if e.event_type == DagsterEventType.STEP_UP_FOR_RETRY and e.step_key == step]
    failures = [e for e in events if e.event_type == DagsterEventType.STEP_FAILURE and e.step_key == step]
    return len(retries), len(failures)


def test_a_data_error_fails_the_step_at_once_naming_the_error(monkeypatch):
    monkeypatch.setenv(DELAY_ENV, "0")
    calls = []

    @retried_asset(key=AssetKey(["test", "staged_thing"]))
    def staged_thing() -> MaterializeResult:
        calls.append(1)
        raise ProcoreDataError(ISSUE_ERROR)

    with instance_for_test() as instance:
        result = materialize([staged_thing], instance=instance, raise_on_error=False)
    assert not result.success
    assert len(calls) == 1
    assert _attempts(result, "test__staged_thing") == (0, 1)
    failure = result.failure_data_for_node("test__staged_thing")
    assert failure is not None
    message = failure.error.message
    assert "staged_thing" in message and "data error" in message and "not retried" in message
    assert "'updated_at' = None" in message and "ProcoreDataError" in message


def test_a_lost_connection_is_retried_by_the_policy(monkeypatch):
    monkeypatch.setenv(DELAY_ENV, "0")
    monkeypatch.setenv(RETRIES_ENV, "2")
    url = f"http://127.0.0.1:{_closed_port()}/api"
    calls = []

    @retried_asset(key=AssetKey(["test", "remote_thing"]))
    def remote_thing() -> MaterializeResult:
        calls.append(1)
        if len(calls) < 3:
            requests.get(url, timeout=5)  # connection refused: an outage, as far as the step can tell
        return MaterializeResult(metadata={"attempt": len(calls)})

    with instance_for_test() as instance:
        result = materialize([remote_thing], instance=instance)
    assert result.success and len(calls) == 3
    assert _attempts(result, "test__remote_thing") == (2, 0)


def test_an_asset_may_still_raise_its_own_failure():
    @retried_asset(key=AssetKey(["test", "explicit"]))
    def explicit() -> MaterializeResult:
        raise Failure(description="stop here", allow_retries=False)

    with instance_for_test() as instance:
        result = materialize([explicit], instance=instance, raise_on_error=False)
    assert _attempts(result, "test__explicit") == (0, 1)
    assert "stop here" in result.failure_data_for_node("test__explicit").error.message


# -- a real source asset against the Procore simulator ----------------------------------------------


@pytest.fixture
def procore(tmp_path):
    from connector_resources.procore import ProcoreResource
    from connector_sandbox.procore import create_app

    settings = unthrottled_procore(0.02)
    base, stop = serve_in_thread(create_app(settings))
    resource = on_simulator(
        ProcoreResource,
        base,
        auth_url=base,
        webhook_token="t0ken-e2e",
        max_attempts=1,  # the HTTP core's own retries are tested elsewhere; here the step's count
    )
    resources = {
        "procore": resource,
        "staging": StagingResource(base_dir=str(tmp_path / "staging")),
        "ledger": LedgerResource(db_url=f"sqlite:///{tmp_path / 'ledger.sqlite'}"),
        "target_boundary": UNWRAPPED,
    }
    try:
        yield base, resources
    finally:
        stop()


def _fault(base: str, **faults) -> None:
    response = requests.post(f"{base}/sandbox/faults", json={"retry_after_seconds": 0, **faults}, timeout=30)
    assert response.status_code == 200, response.text


def _run_today(asset, resources, **kwargs):
    """``asset`` materialized for today's partition in a throwaway instance (``kwargs`` to materialize)."""
    with instance_for_test() as instance:
        return materialize(
            [asset],
            resources=resources,
            instance=instance,
            partition_key=datetime.now(UTC).date().isoformat(),
            **kwargs,
        )


def _vendors_asset():
    spec = SaasEntity("procore", "vendors", "Procore vendors (test)", key_fields=("id",))
    return build_entity_asset(spec, saas_daily_partitions())


def test_a_refusal_fails_a_real_source_step_without_retries(procore, monkeypatch):
    monkeypatch.setenv(DELAY_ENV, "0")
    base, resources = procore
    asset = _vendors_asset()
    _fault(base, fail_next=50, fail_next_status=400)
    result = _run_today(asset, resources, raise_on_error=False)
    assert not result.success
    assert _attempts(result, "procore__vendors") == (0, 1)
    message = result.failure_data_for_node("procore__vendors").error.message
    assert "procore/vendors failed with" in message and "not retried" in message and "400" in message


def test_an_outage_of_a_real_source_is_retried_until_it_clears(procore, monkeypatch):
    monkeypatch.setenv(DELAY_ENV, "0")
    monkeypatch.setenv(RETRIES_ENV, "2")
    base, resources = procore
    asset = _vendors_asset()
    _fault(base, fail_next=2, fail_next_status=503)
    result = _run_today(asset, resources)
    assert result.success
    assert _attempts(result, "procore__vendors") == (2, 0)


# -- a real JD Edwards source asset against the AIS simulator ------------------------------------------


@pytest.fixture
def jde(tmp_path):
    from connector_resources.jde import JdeAisResource
    from connector_sandbox.jde_ais import JdeSandboxSettings, run_in_thread

    base, stop = run_in_thread(JdeSandboxSettings(scale=0.02))
    resources = {
        "jde": on_simulator(JdeAisResource, base, max_attempts=1),
        "staging": StagingResource(base_dir=str(tmp_path / "staging")),
        "ledger": LedgerResource(db_url=f"sqlite:///{tmp_path / 'ledger.sqlite'}"),
        "target_boundary": UNWRAPPED,
    }
    try:
        yield base.removesuffix("/jderest"), resources
    finally:
        stop()


GL_ACCOUNTS_NAME = "jde/gl_accounts"  # how a failure names the asset (its step: jde__gl_accounts)


def _gl_accounts_asset():
    from connector_assets.jde.extract import build_table_asset
    from connector_assets.jde.tables import GL_ACCOUNTS

    return build_table_asset(GL_ACCOUNTS, None), GL_ACCOUNTS.asset.to_python_identifier()


@pytest.mark.parametrize(
    ("faults", "words"),
    [
        ({"refuse_allowed_hosts": True}, "configuration error"),  # 405: the AIS allow-list
        ({"refuse_tables": ["F0901"]}, "configuration error"),  # 403: the user may not read F0901
        ({"fail_next": 50, "fail_next_status": 400}, "HTTP 400"),
    ],
    ids=["allow-list", "table-refused", "bad-request"],
)
def test_a_jde_refusal_fails_the_step_at_once(jde, monkeypatch, faults, words):
    monkeypatch.setenv(DELAY_ENV, "0")
    root, resources = jde
    asset, step = _gl_accounts_asset()
    response = requests.post(f"{root}/sandbox/faults", json=faults, timeout=30)
    assert response.status_code == 200, response.text
    with instance_for_test() as instance:
        result = materialize([asset], resources=resources, instance=instance, raise_on_error=False)
    assert _attempts(result, step) == (0, 1)
    message = result.failure_data_for_node(step).error.message
    assert f"{GL_ACCOUNTS_NAME} failed with" in message and words in message and "not retried" in message


def test_a_jde_outage_is_retried_until_it_clears(jde, monkeypatch):
    monkeypatch.setenv(DELAY_ENV, "0")
    monkeypatch.setenv(RETRIES_ENV, "2")
    root, resources = jde
    asset, step = _gl_accounts_asset()
    response = requests.post(
        f"{root}/sandbox/faults", json={"fail_next": 2, "fail_next_status": 503}, timeout=30
    )
    assert response.status_code == 200, response.text
    with instance_for_test() as instance:
        result = materialize([asset], resources=resources, instance=instance)
    assert result.success
    assert _attempts(result, step) == (2, 0)
