"""Oracle Fusion Cloud ERP as the project knows it: its settings, its simulator's port, its ``ml-connector
ping`` check and its change feed (the SaaS source assets) (``connector_resources.system_declaration``).
No webhooks.
"""

from __future__ import annotations

from connector_resources.fusion.entities import ENTITIES
from connector_resources.fusion.resource import REST_CONTEXT, FusionResource, register_fusion_ping
from connector_resources.fusion.session import IN_LIST_KEYS, FusionSession
from connector_resources.setting_kinds import Number, Text
from connector_resources.setting_model import Setting
from connector_resources.system_declaration import (
    NO_PLANTED_FAULTS,
    SaasClient,
    Sandbox,
    System,
    base_url,
    login,
    oauth_client,
)

SANDBOX = Sandbox(8716, activity={"new_invoices": 2, "new_payments": 1}, world=NO_PLANTED_FAULTS)


def _paths(entity: str) -> tuple[str, ...]:
    return (f"{REST_CONTEXT}/<version>/{ENTITIES[entity].resource}",)


SYSTEM = System(
    "fusion",
    "Oracle Fusion Cloud ERP REST API",
    (
        base_url("ML_FUSION_URL", SANDBOX.url(), "pod URL, e.g. https://xxxx.fa.us2.oraclecloud.com"),
        Setting(
            "token_url",
            "ML_FUSION_TOKEN_URL",
            SANDBOX.url("/oauth2/v1/token"),
            "identity domain token URL (OAuth); leave as is for basic auth",
            is_url=True,
        ),
        *oauth_client("ML_FUSION", "sandbox-fusion-secret"),
        Setting("scope", "ML_FUSION_SCOPE", "urn:opc:resource:consumer::all", "OAuth2 scope"),
        Setting("auth", "ML_FUSION_AUTH", "oauth", "oauth (client credentials) or basic"),
        *login("ML_FUSION", "ml.integration", "sandbox-fusion", "Fusion user for basic auth"),
        Setting(
            "business_unit",
            "ML_FUSION_BUSINESS_UNIT",
            "US1 Business Unit",
            "procurement / payables business unit",
            kind=Text(required=True, says="the Fusion payables business unit"),
        ),
        Setting(
            "send_unconfirmed",
            "ML_FUSION_SEND_UNCONFIRMED",
            "",
            "attributes the reference leaves unconfirmed that this pod accepts on create, comma "
            "separated: OrderNumber (our PFY number on draft orders), "
            "invoiceDistributions.Description; none by default (Fusion numbers the orders)",
        ),
        Setting(
            "validation_check",
            "ML_FUSION_VALIDATION_CHECK",
            "result",
            "after validating an invoice: result (the action's answer only) or status (also read the "
            "invoice's ValidationStatus, one more call per invoice, so a hold is marked warned)",
        ),
        Setting(
            "in_list_keys",
            "ML_FUSION_IN_LIST_KEYS",
            str(IN_LIST_KEYS),
            "keys (ids, order or invoice numbers, supplier names) per `q=<attribute> in (...)` list a read "
            "sends: Oracle documents no URL length limit; 100 keeps a list of ids near 2 KB of URL, far "
            "under the 8 KB request line web servers and proxies commonly allow (a pod answering 414 wants "
            "fewer); more keys a list, fewer list reads",
            kind=Number(unit="keys", whole=True, minimum=1),
        ),
    ),
    resource=FusionResource,
    sandbox=SANDBOX,
    ping=register_fusion_ping,
    client=SaasClient(FusionSession, "Oracle Fusion", _paths),
)
