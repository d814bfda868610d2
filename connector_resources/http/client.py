"""``HttpClient``: one ``requests.Session`` per API, composed from an auth scheme, a policy and limits.

What every call gets, whatever the vendor:

* a connect and a read timeout (from ``HttpPolicy``; a caller may shorten or lengthen them per call,
  never remove them), clamped so the last attempt cannot overrun the policy's total deadline;
* retries through tenacity with full-jitter backoff and ``Retry-After`` (rules and the POST/PATCH
  caveat in ``connector_resources.http.policy``);
* ``auth.ensure_fresh`` before each attempt and one re-authentication + replay when the server
  says the session expired (see ``connector_resources.http.auth``);
* the optional in-flight cap and rate limit (``connector_resources.http.limits``);
* counters in ``metrics``, one DEBUG log line per attempt and one WARNING per retry, redacted;
* ``ApiError`` subclasses for anything unexpected, with redacted URL and body excerpt.

Credentials only travel to the base URL's origin: an absolute URL elsewhere (a next-page link that
points off-site) must be requested with ``authenticate=False``, and the headers a scheme adds are
dropped when a redirect leaves the origin (requests itself only drops ``Authorization``).

Request bodies must be replayable (bytes, str, dict, JSON): a generator or open file is consumed
by the first attempt, so retries of such bodies would send nothing.
"""

from __future__ import annotations

import importlib.metadata
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
import requests.auth
from requests.adapters import HTTPAdapter
from requests.utils import get_netrc_auth
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, stop_before_delay

from connector_resources.closing import Closing
from connector_resources.http.auth import AuthScheme, NoAuth
from connector_resources.http.errors import (
    ApiError,
    AuthenticationError,
    RateLimitedError,
    TransportError,
    safe_url,
)
from connector_resources.http.limits import (
    InFlightLimit,
    RateLimit,
    SlotTimeout,
    shared_in_flight_limit,
    shared_rate_limit,
)
from connector_resources.http.metrics import CallMetrics
from connector_resources.http.policy import (
    BackoffWait,
    HttpPolicy,
    TransientFailure,
    is_idempotent,
    parse_retry_after,
    transport_failure_kind,
    within_quick_limit,
)
from connector_resources.http.write_hold import hold_write
from connector_resources.redaction import RedactingFilter, get_logger

log = get_logger("ml_connector.http.client")


def _user_agent() -> str:
    """Identify ourselves to vendors (their support can find our calls in their logs)."""
    try:
        return f"ml-connector/{importlib.metadata.version('ml-connector')}"
    except importlib.metadata.PackageNotFoundError:  # running from a source tree without install
        return "ml-connector"


USER_AGENT = _user_agent()

# urllib3 logs full request lines (query strings included) at DEBUG and authlib may log token
# responses; they are not our loggers, so give them the same redacting filter.
for _name in ("urllib3.connectionpool", "urllib3.util.retry", "authlib"):
    _third_party = logging.getLogger(_name)
    if not any(isinstance(f, RedactingFilter) for f in _third_party.filters):
        _third_party.addFilter(RedactingFilter())

_REQUEST_KWARGS = frozenset({"params", "data", "json", "headers", "files", "cookies", "auth"})
_SEND_KWARGS = frozenset({"timeout", "allow_redirects", "verify", "cert", "proxies"})

RetryPredicate = Callable[[requests.Response], bool]


class _NoNetrcEntry(requests.auth.AuthBase):
    """The request's auth when ``~/.netrc`` has no entry for its host: nothing to add."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request


_NO_NETRC_ENTRY = _NoNetrcEntry()


class _CredentialSafeSession(requests.Session):
    """A Session that also strips the auth scheme's custom headers on a cross-origin redirect, and looks
    ``~/.netrc`` up once per host instead of once per request.

    requests consults ``~/.netrc`` for every request without auth of its own (``trust_env``): a path
    expansion and two file-system checks, each letting go of the GIL, which a thread fetching the next
    page then waits to get back while the caller's thread works (a sampling profile of a JDE read showed
    the fetch thread there in a twentieth of its samples). The answer is kept per host for the session's
    life (a netrc edited meanwhile is read by the next client); what each request carries is what
    requests would have given it.
    """

    def __init__(self) -> None:
        super().__init__()
        self.credential_headers: set[str] = set()
        self._netrc: dict[str, requests.auth.AuthBase | tuple[str, str]] = {}

    def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
        url = str(request.url)  # requests takes any object and makes it text itself; ours are text
        host = urlsplit(url).netloc
        if self.trust_env and not request.auth and not self.auth and "@" not in host:  # not URL credentials
            auth = self._netrc.get(host)
            if auth is None:
                auth = self._netrc.setdefault(host, get_netrc_auth(url) or _NO_NETRC_ENTRY)
            request.auth = auth
        return super().prepare_request(request)

    def rebuild_auth(self, prepared_request: requests.PreparedRequest, response: requests.Response) -> None:
        super().rebuild_auth(prepared_request, response)
        old, new = response.request.url, prepared_request.url  # both set: each request was prepared
        if old is not None and new is not None and self.should_strip_auth(old, new):
            for name in self.credential_headers:
                prepared_request.headers.pop(name, None)


@dataclass
class _Call:
    """State of one logical ``request()`` across its attempts."""

    method: str
    url: str
    idempotent: bool
    expected: frozenset[int] | None
    authenticate: bool
    request_kwargs: dict[str, Any]
    send_kwargs: dict[str, Any]
    timeout: tuple[float, float]
    started: float = field(default_factory=time.monotonic)
    attempt: int = 0  # tenacity attempts
    sent: int = 0  # HTTP exchanges (attempts plus a re-auth replay)
    reauthenticated: bool = False


class HttpClient(Closing):
    """A vendor API client core: ``request`` plus ``get/post/put/patch/delete`` shortcuts.

    ``system`` names the vendor in errors, logs and limits ("coupa", "jde"). ``limit_key`` shares
    ``max_in_flight`` and ``rate_per_second`` (with ``rate_burst``) with every other client in the
    process that uses the same key. ``retry_when`` recognises a vendor's refusal that the status
    does not reveal (BILL's ``BDC_1322`` "too many concurrent requests" on a 4xx): such an answer is
    retried like a 429, POST included, and raised as ``RateLimitedError`` if it persists.
    ``wait`` replaces the backoff strategy (a ``BackoffWait`` with a seeded RNG makes retries
    reproducible in tests).
    """

    def __init__(
        self,
        system: str,
        base_url: str,
        *,
        auth: AuthScheme | None = None,
        policy: HttpPolicy | None = None,
        default_headers: dict[str, str] | None = None,
        limit_key: str | None = None,
        max_in_flight: int | None = None,
        rate_per_second: float | None = None,
        rate_burst: int = 1,
        retry_when: RetryPredicate | None = None,
        wait: BackoffWait | None = None,
    ) -> None:
        if not system:
            raise ValueError("HttpClient system name is empty")
        parts = urlsplit(base_url or "")
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(
                f"{system}: base_url must be an absolute http(s) URL, got {safe_url(base_url)!r}"
            )
        self.system = system
        self.base_url = base_url.rstrip("/")
        self._origin = _origin(self.base_url)
        self.auth: AuthScheme = auth or NoAuth()
        self.policy = within_quick_limit(policy or HttpPolicy())  # shorter inside ``quick_calls``
        self.metrics = CallMetrics()
        self._retry_when = retry_when
        self._wait = wait or BackoffWait(self.policy)
        key = limit_key or f"{system}@{id(self):x}"
        self._in_flight: InFlightLimit | None = None
        if max_in_flight is not None:
            self._in_flight = (
                shared_in_flight_limit(key, max_in_flight) if limit_key else InFlightLimit(key, max_in_flight)
            )
        self._rate: RateLimit | None = None
        if rate_per_second is not None:
            self._rate = (
                shared_rate_limit(key, rate_per_second, rate_burst)
                if limit_key
                else RateLimit(key, rate_per_second, rate_burst)
            )
        self._session = _CredentialSafeSession()
        # Our own retries replace urllib3's (max_retries=0); the pool must fit every allowed thread.
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=max(10, max_in_flight or 0), max_retries=0)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._session.headers["User-Agent"] = USER_AGENT
        self._session.headers.update(default_headers or {})

    @classmethod
    def for_json(
        cls, system: str, base_url: str, *, headers: Mapping[str, str] | None = None, **options: Any
    ) -> HttpClient:
        """A client of an API that answers JSON (every one we call): each request says so with
        ``Accept: application/json``, after the API's own ``headers``; ``options`` as ``__init__``'s."""
        accept_json = {**(headers or {}), "Accept": "application/json"}
        return cls(system, base_url, default_headers=accept_json, **options)

    # -- public API -------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        idempotent: bool | None = None,
        expected: Iterable[int] | None = None,
        authenticate: bool = True,
        **requests_kwargs: Any,
    ) -> requests.Response:
        """Send one API request with retries, re-auth and limits; return the final response.

        ``path_or_url`` is joined to ``base_url`` unless it is absolute (next-page links).
        ``idempotent`` overrides the method's default (see ``policy``). ``expected`` lists the
        statuses to return (default: any status below 400); anything else raises an ``ApiError``
        subclass once retries are spent. ``authenticate=False`` skips the auth scheme (token
        requests, foreign hosts). Other keywords are requests' own: params, data, json, headers,
        files, cookies, auth (only with ``authenticate=False``), timeout, allow_redirects, verify,
        cert, proxies.
        """
        call = self._new_call(method, path_or_url, idempotent, expected, authenticate, requests_kwargs)
        # A preview's writes stop here, before anything is sent (``write_hold``).
        hold_write(
            self.system,
            call.method,
            call.url,
            authenticate=authenticate,
            kwargs=call.request_kwargs,
            client=self,
        )
        retrying = Retrying(
            stop=stop_after_attempt(self.policy.max_attempts) | stop_before_delay(self.policy.deadline),
            wait=self._wait,
            retry=retry_if_exception_type(TransientFailure),
            before_sleep=lambda state: self._log_retry(call, state),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            return retrying(self._attempt, call)
        except TransientFailure as failure:
            error = failure.error  # retries ran out: surface the ApiError it carried
        except ApiError:
            self.metrics.record_error()
            raise
        # Raised outside the except block so the exception chain carries no unredacted original.
        self.metrics.record_error()
        raise error

    def get(self, path_or_url: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path_or_url, **kwargs)

    def post(self, path_or_url: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path_or_url, **kwargs)

    def put(self, path_or_url: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path_or_url, **kwargs)

    def patch(self, path_or_url: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path_or_url, **kwargs)

    def delete(self, path_or_url: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path_or_url, **kwargs)

    def resolve_url(self, path_or_url: str) -> str:
        """An absolute http(s) URL as-is, otherwise ``base_url`` + ``/`` + path (trailing slash kept)."""
        if urlsplit(path_or_url).scheme in ("http", "https"):
            return path_or_url
        return f"{self.base_url}/{path_or_url.lstrip('/')}"

    def close(self) -> None:
        """Close pooled connections; the client must not be used afterwards."""
        self._session.close()

    def __repr__(self) -> str:
        return f"HttpClient(system={self.system!r}, base_url={safe_url(self.base_url)!r}, auth={self.auth!r})"

    # -- one logical call -------------------------------------------------------------------------

    def _new_call(
        self,
        method: str,
        path_or_url: str,
        idempotent: bool | None,
        expected: Iterable[int] | None,
        authenticate: bool,
        kwargs: dict[str, Any],
    ) -> _Call:
        method = method.upper()
        url = self.resolve_url(path_or_url)
        unknown = set(kwargs) - _REQUEST_KWARGS - _SEND_KWARGS
        if "stream" in unknown:
            raise TypeError(
                f"{self.system}: stream=True is not supported (bodies are read for metrics/errors)"
            )
        if unknown:
            raise TypeError(f"{self.system}: unexpected request keyword(s) {sorted(unknown)}")
        if authenticate and kwargs.get("auth") is not None:
            raise TypeError(f"{self.system}: pass auth= only together with authenticate=False")
        if authenticate and _origin(url) != self._origin:
            raise ValueError(
                f"{self.system}: refusing to send credentials to {safe_url(url)}, which is not "
                f"{self._origin}; pass authenticate=False to call another host"
            )
        timeout = _validated_timeout(self.system, kwargs.pop("timeout", self.policy.timeout))
        request_kwargs = {k: v for k, v in kwargs.items() if k in _REQUEST_KWARGS}
        send_kwargs = {k: v for k, v in kwargs.items() if k in _SEND_KWARGS}
        return _Call(
            method=method,
            url=url,
            idempotent=is_idempotent(method, idempotent),
            expected=frozenset(int(s) for s in expected) if expected is not None else None,
            authenticate=authenticate,
            request_kwargs=request_kwargs,
            send_kwargs=send_kwargs,
            timeout=timeout,
        )

    def _attempt(self, call: _Call) -> requests.Response:
        """One tenacity attempt: refresh auth, send, re-auth and replay once if expired, judge."""
        call.attempt += 1
        if call.authenticate:
            self.auth.ensure_fresh(self)
        prepared, response = self._exchange(call, retry=call.attempt > 1)
        if call.authenticate and self.auth.is_expired(response):
            if call.reauthenticated:
                raise self._expired_again(call, response)
            call.reauthenticated = True
            self.metrics.record_reauth()
            # A credential past its own expiry being refused is routine (DEBUG); refused before it, the
            # server revoked or forgot it, which the operator may want to know (INFO), never a warning:
            # the replay below either succeeds or raises.
            early = self.auth.refused_early(prepared)
            log.log(
                logging.INFO if early else logging.DEBUG,
                "%s %s %s -> %s: credential %s; re-authenticating and replaying once",
                self.system,
                call.method,
                safe_url(call.url),
                response.status_code,
                "refused before its expiry" if early else "expired",
            )
            self.auth.invalidate(prepared)
            self.auth.ensure_fresh(self)
            prepared, response = self._exchange(call, retry=False)
            if self.auth.is_expired(response):
                raise self._expired_again(call, response)
        return self._judge(call, response)

    def _expired_again(self, call: _Call, response: requests.Response) -> AuthenticationError:
        error = AuthenticationError.from_response(
            self.system,
            call.method,
            call.url,
            response,
            attempts=call.sent,
            detail="credential rejected again right after re-authenticating",
        )
        assert isinstance(error, AuthenticationError)
        return error

    def _judge(self, call: _Call, response: requests.Response) -> requests.Response:
        """Return an acceptable response, or raise (``TransientFailure`` when a retry may help)."""
        status = response.status_code
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if self._retry_when is not None and self._retry_when(response):
            raise TransientFailure(
                RateLimitedError.from_response(
                    self.system, call.method, call.url, response, attempts=call.sent, retry_after=retry_after
                ),
                retry_after,
            )
        acceptable = status in call.expected if call.expected is not None else status < 400
        if acceptable:
            return response
        error = ApiError.from_response(
            self.system, call.method, call.url, response, attempts=call.sent, retry_after=retry_after
        )
        policy = self.policy
        if status in policy.retry_statuses and (call.idempotent or status in policy.replay_safe_statuses):
            raise TransientFailure(error, retry_after)
        raise error

    # -- one HTTP exchange ------------------------------------------------------------------------

    def _exchange(self, call: _Call, *, retry: bool) -> tuple[requests.PreparedRequest, requests.Response]:
        prepared = self._prepare(call)
        timeout = self._attempt_timeout(call)
        if self._rate is not None:
            waited = self._rate.acquire()
            if waited:
                self.metrics.record_wait(waited)
        settings = self._session.merge_environment_settings(
            str(prepared.url),  # set by prepare_request
            call.send_kwargs.get("proxies") or {},
            False,
            call.send_kwargs.get("verify"),
            call.send_kwargs.get("cert"),
        )
        failure: Exception | None = None
        response: requests.Response | None = None
        started = time.monotonic()
        try:
            with self._slot(call):
                call.sent += 1
                self.metrics.record_attempt(_body_size(prepared), retry=retry)
                started = time.monotonic()
                response = self._session.send(
                    prepared,
                    timeout=timeout,
                    allow_redirects=call.send_kwargs.get("allow_redirects", True),
                    **settings,
                )
        except requests.RequestException as exc:
            failure = self._transport_failure(call, exc)
        except SlotTimeout as exc:  # no in-flight slot before the deadline
            failure = TransportError(self.system, call.method, call.url, detail=str(exc), attempts=call.sent)
        elapsed = time.monotonic() - started
        if failure is not None or response is None:
            self.metrics.record_outcome(elapsed)
            log.debug(
                "%s %s %s -> no response in %.3fs (attempt %d): %s",
                self.system,
                call.method,
                safe_url(call.url),
                elapsed,
                call.sent,
                failure,
            )
            # Raised outside the except block: the requests exception (unredacted URL) is not chained.
            raise failure or TransportError(self.system, call.method, call.url, detail="no response")
        self.metrics.record_outcome(elapsed, response.status_code, len(response.content))
        if log.isEnabledFor(logging.DEBUG):  # its arguments (two redactions) cost more than a page's link
            log.debug(
                "%s %s %s -> %s (%d bytes) in %.3fs (attempt %d)%s",
                self.system,
                call.method,
                safe_url(call.url),
                response.status_code,
                len(response.content),
                elapsed,
                call.sent,
                f" via {safe_url(response.url)}" if response.url != prepared.url else "",
            )
        return prepared, response

    def _prepare(self, call: _Call) -> requests.PreparedRequest:
        """A fresh PreparedRequest per exchange, so a renewed credential replaces the stale one."""
        request = requests.Request(call.method, call.url, **call.request_kwargs)
        prepared = self._session.prepare_request(request)
        if call.authenticate:
            before = set(prepared.headers)
            self.auth.apply(prepared)
            added = set(prepared.headers) - before
            if added:
                self._session.credential_headers |= added
        return prepared

    def _attempt_timeout(self, call: _Call) -> tuple[float, float]:
        remaining = self.policy.deadline - (time.monotonic() - call.started)
        if remaining <= 0:
            raise TransportError(
                self.system,
                call.method,
                call.url,
                detail=f"deadline of {self.policy.deadline:g}s exhausted",
                attempts=call.sent,
            )
        connect, read = call.timeout
        return (min(connect, remaining), min(read, remaining))

    def _slot(self, call: _Call) -> AbstractContextManager[None]:
        """The in-flight slot for one exchange; waiting for it counts against the deadline."""
        if self._in_flight is None:
            return nullcontext()
        remaining = max(0.0, self.policy.deadline - (time.monotonic() - call.started))
        return self._in_flight.slot(timeout=remaining)

    def _transport_failure(self, call: _Call, exc: requests.RequestException) -> Exception:
        kind = transport_failure_kind(exc)
        error = TransportError(
            self.system,
            call.method,
            call.url,
            detail=f"{type(exc).__name__}: {_short_reason(exc)}",
            attempts=call.sent,
        )
        if kind == "not_sent" or (kind == "maybe_processed" and call.idempotent):
            return TransientFailure(error)
        return error

    # -- retry plumbing ---------------------------------------------------------------------------

    def _sleep(self, seconds: float) -> None:
        self.metrics.record_wait(seconds)
        time.sleep(seconds)

    def _log_retry(self, call: _Call, state: RetryCallState) -> None:
        outcome = state.outcome
        failure = outcome.exception() if outcome is not None else None
        error = getattr(failure, "error", failure)
        if isinstance(error, ApiError) and error.status is not None:
            why = f"{error.status} {error.reason}".strip()
        else:
            why = getattr(error, "detail", None) or type(error).__name__
        log.warning(
            "%s %s %s failed (%s) on attempt %d/%d; retrying in %.2fs",
            self.system,
            call.method,
            safe_url(call.url),
            why,
            state.attempt_number,
            self.policy.max_attempts,
            state.upcoming_sleep,
        )


def _origin(url: str) -> str:
    """``scheme://host:port`` with the default port made explicit, for same-origin comparisons."""
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


def _validated_timeout(system: str, value: Any) -> tuple[float, float]:
    """Accept a number or a (connect, read) pair of positive numbers; None is never allowed."""
    pair = value if isinstance(value, tuple | list) else (value, value)
    if len(pair) != 2:
        raise TypeError(f"{system}: timeout must be a number or a (connect, read) pair, got {value!r}")
    try:
        connect, read = float(pair[0]), float(pair[1])
    except (TypeError, ValueError):
        raise TypeError(
            f"{system}: timeout must be positive numbers, got {value!r} (None is not allowed)"
        ) from None
    if connect <= 0 or read <= 0:
        raise ValueError(f"{system}: timeout must be positive, got {value!r}")
    return (connect, read)


def _body_size(prepared: requests.PreparedRequest) -> int:
    body = prepared.body
    if isinstance(body, bytes):
        return len(body)
    if isinstance(body, str):
        return len(body.encode("utf-8"))
    try:
        return int(prepared.headers.get("Content-Length", 0))
    except ValueError:
        return 0


def _short_reason(exc: BaseException) -> str:
    """The innermost useful reason ("Connection refused", "Read timed out") rather than the whole
    urllib3 nesting; what remains is redacted by ApiError anyway."""
    text = str(exc)
    for marker in (
        "Connection refused",
        "Read timed out",
        "Connection reset",
        "Connection aborted",
        "timed out",
    ):
        if marker in text:
            return marker
    return text[:200]
