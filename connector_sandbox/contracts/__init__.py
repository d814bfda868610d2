"""The vendors' contracts as data, and the one check every simulator and test applies to them.

Each simulator declares, in ``connector_sandbox/<system>/contract.py``, the endpoints its vendor publishes
that our clients call: method and path, the query parameters and their forms, the request body and the
answer as JSON Schema (``readOnly`` marks what the vendor documents as output-only), and the vendor artifact
each fact comes from. ``sandbox_app(..., contract=...)`` puts ``ContractMiddleware`` in front of the
simulator: a request the vendor would refuse is refused the vendor's way, naming the field, and an answer
the vendor would never give is recorded as the simulator's own fault. Both are kept in ``breaches`` so the
test that caused them fails naming the system, the endpoint and the field.

The check is jsonschema's (Draft 2020-12), not ours: we add only the request-side meaning of ``readOnly``.
"""

from connector_sandbox.contracts.breaches import Breach, recorded_breaches
from connector_sandbox.contracts.checking import Violation, answer_violations, request_violations
from connector_sandbox.contracts.middleware import ContractMiddleware
from connector_sandbox.contracts.model import Artifact, Contract, Operation
from connector_sandbox.contracts.shapes import (
    array,
    boolean,
    integer,
    nullable,
    number,
    obj,
    one_of,
    output_only,
    string,
)

__all__ = [
    "Artifact",
    "Breach",
    "Contract",
    "ContractMiddleware",
    "Operation",
    "Violation",
    "answer_violations",
    "array",
    "boolean",
    "integer",
    "nullable",
    "number",
    "obj",
    "one_of",
    "output_only",
    "recorded_breaches",
    "request_violations",
    "string",
]
