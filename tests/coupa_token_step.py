"""One Coupa read as a Dagster step does it, in a process of its own (run by ``test_coupa_token_store``).

``python tests/coupa_token_step.py <instance url> <warm-up seconds>``: reads one page of suppliers
with the simulator's sandbox client, configured like a step (ledger and vault key from the
environment), and prints what its token cost as one JSON line: tokens it minted, tokens it adopted
from the store, seconds it waited for Coupa's warm-up, and the 401s it met. It logs at DEBUG to
stderr, which the test searches for the token.
"""

from __future__ import annotations

import logging
import sys

from sandbox_logins import LOGINS, on_simulator
from step_processes import token_cost

from connector_resources.coupa import ALL_SCOPES, CoupaResource, shared_oauth

LOGIN = LOGINS[CoupaResource]  # the simulator's own sandbox client, not a real secret


def main(url: str, warmup: float) -> None:
    resource = on_simulator(
        CoupaResource, url, token_warmup_seconds=warmup, rate_per_second=0, backoff_base=0.05, backoff_cap=0.5
    )
    with resource.session() as session:
        session.search("suppliers", {}, limit=1)
    # The process's one scheme for these credentials (built by the session above).
    auth = shared_oauth(url, LOGIN["client_id"], LOGIN["client_secret"], ALL_SCOPES, warmup_seconds=warmup)
    print(token_cost(auth, session, waited=auth.warmup_waited))


if __name__ == "__main__":
    # Everything the connector logs goes to stderr, so the test can prove the token is never in it.
    logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
    main(sys.argv[1], float(sys.argv[2]))
