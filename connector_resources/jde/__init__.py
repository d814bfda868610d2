"""JD Edwards EnterpriseOne through its AIS REST server: reads via the data service, writes via
orchestrations, dates converted at this boundary.

Typical use inside an asset::

    with jde.session() as s:  # logs in, reads the user's date format
        for row in s.browse("F4301", conditions=[Condition("UPMJ", "EQUAL", day)]):
            ...  # {"KCOO": "00200", "DOCO": 4512, "UPMJ": date(2025, 2, 1), ...}
        result = s.orchestrate("ML_CreateVoucherBatch", {...})  # or JdeOrchestrationError

Modules: ``resource`` (the Dagster resource: settings, opening a session, ping), ``session`` (the
logged-in session a batch uses: one token, one call at a time), ``paging`` (reading a query page by page:
prefetch, restarts after the last row read), ``pages`` (one data-service answer judged), ``decode`` (a
page's JSON with exact decimals, fast), ``rows`` (raw values to Python values), ``orchestration``
(writes), ``ping_checks``, ``auth`` (login / token / logout as an ``HttpClient`` scheme), ``query``
(conditions, request bodies, how an interrupted read resumes), ``dates`` (Julian, HHMMSS,
SimpleDateFormat), ``optional_tables`` (contact tables a flow can do without), ``system`` (JDE as the
project declares it), ``errors``.
"""

from connector_resources.jde import dates
from connector_resources.jde.auth import JdeAisAuth, LoginInfo
from connector_resources.jde.dates import *  # noqa: F403 (its __all__)
from connector_resources.jde.errors import (
    JdeAllowlistError,
    JdeAuthError,
    JdeError,
    JdeInputError,
    JdeMessage,
    JdeOrchestrationError,
    JdeQueryError,
)
from connector_resources.jde.orchestration import OrchestrationResult
from connector_resources.jde.query import TABLE_KEYS, Condition
from connector_resources.jde.resource import JdeAisResource, register_jde_ping
from connector_resources.jde.rows import convert_row, row_updated_at
from connector_resources.jde.session import JdeSession

__all__ = [
    *dates.__all__,
    "TABLE_KEYS",
    "Condition",
    "JdeAisAuth",
    "JdeAisResource",
    "JdeAllowlistError",
    "JdeAuthError",
    "JdeError",
    "JdeInputError",
    "JdeMessage",
    "JdeOrchestrationError",
    "JdeQueryError",
    "JdeSession",
    "LoginInfo",
    "OrchestrationResult",
    "convert_row",
    "register_jde_ping",
    "row_updated_at",
]
