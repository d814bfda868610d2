"""JD Edwards reads as a Dagster step does them, in a process of its own (run by ``test_jde_token_store``).

``python tests/jde_session_step.py <AIS base url> <table> [<table> ...]``: one ``session()`` per table
(as each JDE asset opens its own), each reading one row, with the simulator's sandbox user,
configured like a step (ledger and vault key from the environment). Prints the rows read and the 444s
met as one JSON line; logins and logouts are counted by the simulator, not here. It logs at DEBUG to
stderr, which the test searches for the token.
"""

from __future__ import annotations

import json
import logging
import sys

from connector_resources.jde import JdeAisResource

USER, PASSWORD = "INTEGR8", "integr8-sandbox"  # the simulator's own sandbox user, not a real secret


def main(url: str, tables: list[str]) -> None:
    resource = JdeAisResource(
        base_url=url,
        username=USER,
        password=PASSWORD,
        environment="JPS920",
        role="*ALL",
        device_name="ml-connector-test",
    )
    rows = expired = 0
    for table in tables:
        with resource.session() as session:
            rows += session.sample(table) is not None
            expired += session.metrics.statuses[444]
    print(json.dumps({"rows": rows, "expired": expired}))


if __name__ == "__main__":
    logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
    main(sys.argv[1], sys.argv[2:])
