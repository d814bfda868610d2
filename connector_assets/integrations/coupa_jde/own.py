"""What one instance's flows, pairing and reconciliation share (``Own``, made once by ``wiring.build``), and
where it reads Coupa (``saas.own_side``): on the deployment's tenant, the Coupa side's staged polls and the
receiver's call-outs; on a tenant of its ``connections``, copies of its own (``<instance>/coupa_invoices``,
``..._payments``) staged in its own runs and that tenant's call-outs at endpoints of its own (``/webhooks/
<instance>_coupa_invoices``, ..., verified with its connection's ``webhook_secret``); polls the fallback."""

from dataclasses import dataclass

from connector_assets.flows.instance import Instance
from connector_assets.flows.mapping_tables import MappingTable
from connector_assets.saas.own_side import InstanceSide

from .accounts import account_table
from .batch_keys import BatchKey


@dataclass(frozen=True, eq=False)
class Own:
    """An instance, its name (ledger rows, holds), Coupa side and account table; settings read when asked."""

    it: Instance
    name: str
    coupa: InstanceSide
    accounts: MappingTable

    @classmethod
    def of(cls, it: Instance) -> "Own":
        return cls(it, it.instance, InstanceSide(it.instance, "coupa"), account_table(it))

    def batch_key(self, invoice_id: str) -> BatchKey:
        """Invoice ``invoice_id``'s batch key under the instance's batch user (``batch_keys``)."""
        return BatchKey.for_invoice(invoice_id, self.it.setting("batch_user"))

    def paired(self, entity: str, source: str) -> tuple[str, str, str]:
        """How the JD Edwards -> Coupa instance on the tenant (``pairs_from``, read by name) keys the pairs of
        an invoice's supplier (``supplier``, ``coupa``) and order (``purchase order``, ``JDE``; po-number)."""
        return (self.it.setting("pairs_from"), entity, source)
