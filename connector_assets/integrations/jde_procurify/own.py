"""What one instance of JD Edwards <-> Procurify shares between its flows and its reconciliation: its
routes, mapping tables, vendor pairs, PO links and Procurify side, each named after the instance. Built once
by ``wiring.build`` and handed down, so no module holds an instance's objects.
"""

from dataclasses import dataclass

from connector_assets.flows.code_maps import OneToOneTable
from connector_assets.flows.instance import Instance
from connector_assets.flows.mapping_tables import MappingTable
from connector_assets.flows.targets import FlowRoute
from connector_assets.jde.account_codes import AccountMap, normal_account
from connector_assets.jde.address_numbers import LongAddressNumbers
from connector_assets.jde.posted_sources import PostedAs
from connector_assets.procurify.po_links import PoLinks
from connector_assets.procurify.vendor_pairing import VendorPairing

from .account_map import ACCOUNT_CODE_ENTITY, account_map_type, accounts_table
from .departments import departments_table
from .procurify_side import ProcurifySide, procurify_side
from .vendor_pairs import JDE, an8_key, vendor_key

ORDER_ENTITY = "purchase_order"  # the purchase order flow's xref: JDE order -> requisition uuid
LINK_ENTITY = "po_link"  # the PO links flow's xref: JDE order -> Procurify PO number
BILL_ENTITY = "bill"  # the bills flow's xref: Procurify bill -> its JDE batch or document


@dataclass(frozen=True)
class Own:
    """One instance's routes (JDE -> Procurify, back, Procurify -> Procurify), tables and pairs."""

    it: Instance
    route: FlowRoute
    back_route: FlowRoute
    po_route: FlowRoute
    accounts: OneToOneTable
    account_map: type[AccountMap]  # the staged account table read both ways, with the instance's scope
    departments: MappingTable
    pairing: VendorPairing
    procurify: ProcurifySide  # where the instance reads Procurify's staged records
    links: PoLinks

    @property
    def name(self) -> str:
        return self.it.instance

    @property
    def posted_bills(self) -> PostedAs:
        """The bills flow's vouchers, as a paid voucher's bill is looked up (``posted_sources``)."""
        return PostedAs(self.name, BILL_ENTITY, self.back_route.source_system)

    def long_addresses(self) -> LongAddressNumbers:
        """The instance's long address numbers (``vendor_pairs``) at its ``long_address_prefix``, read now
        (held apart from every other instance's at load: ``integration.APART_SETTINGS``)."""
        prefix = str(self.it.setting("long_address_prefix")).strip().upper()
        return LongAddressNumbers(prefix, "Procurify vendor id")

    def account_code_dependency(self, jde_account: str) -> str:
        """What a record needing the Procurify code of ``jde_account`` waits on until the ``account_codes``
        flow wrote it: ``<instance>:account_code:JDE:<BU.OBJ[.SUB]>``."""
        return f"{self.name}:{ACCOUNT_CODE_ENTITY}:JDE:{normal_account(jde_account)}"


def own(it: Instance) -> Own:
    """``it``'s routes, tables, pairs and links."""
    route = FlowRoute(it.instance, source_system="JDE", target_system="procurify")
    po_route = FlowRoute(it.instance, source_system="procurify", target_system="procurify")
    accounts, procurify = accounts_table(it), procurify_side(it.instance)
    return Own(
        it,
        route,
        FlowRoute(it.instance, source_system="procurify", target_system="JDE"),
        po_route,
        accounts,
        account_map_type(it, accounts),
        departments_table(it),
        VendorPairing(it.instance, JDE, supplier_key=an8_key, vendor_key=vendor_key),
        procurify,
        PoLinks(
            it.instance,
            ORDER_ENTITY,
            LINK_ENTITY,
            order_route=route,
            link_route=po_route,
            requisitions=procurify.requisitions,
        ),
    )
