"""Which Procurify vendor and which JDE supplier are one pair, whichever flow made it (``suppliers``'
``supplier`` or ``vendors``' ``vendor`` xref), read through ``procurify.vendor_pairing``; JD Edwards' own:
the AN8 as a key and the ``<prefix><vendor id>`` long address number.
"""

from connector_assets.jde.address_numbers import LongAddressNumbers
from connector_assets.jde.address_numbers import an8_key as an8_key  # the AN8 as the ledger keys it
from connector_assets.procurify.vendor_pairing import PROCURIFY as PROCURIFY
from connector_assets.procurify.vendor_pairing import SUPPLIER_ENTITY as SUPPLIER_ENTITY  # JDE -> Procurify
from connector_assets.procurify.vendor_pairing import VENDOR_ENTITY as VENDOR_ENTITY  # Procurify -> JDE
from connector_assets.procurify.vendor_pairing import VendorPairing
from connector_resources import settings

from .integration import INTEGRATION, setting

JDE = "JDE"


def vendor_key(vendor_id: str | int) -> str:
    """A Procurify vendor id as the ledger keys it: as given, trimmed (blank is no vendor)."""
    key = str(vendor_id).strip()
    if not key:
        raise ValueError("a Procurify vendor id is blank")
    return key


PAIRING = VendorPairing(INTEGRATION, JDE, supplier_key=an8_key, vendor_key=vendor_key)
paired_vendor = PAIRING.paired_vendor  # (ledger, an8): the ``supplier`` xref's target, else the ``vendor``'s
paired_supplier = PAIRING.paired_supplier  # (ledger, vendor id): the AN8, either way; None: no pair yet
# supplier_dependency(an8): ``jde_procurify:supplier:JDE:<an8>``, synced once ``suppliers`` wrote the vendor
# and released by ``vendors`` when it pairs a vendor made in Procurify with it. vendor_dependency(vendor id):
# ``jde_procurify:vendor:procurify:<id>``, what a record waiting for that vendor's JDE supplier names.
supplier_dependency = PAIRING.supplier_dependency
vendor_dependency = PAIRING.vendor_dependency


# A JDE supplier the ``vendors`` flow adds for a vendor made in Procurify carries that vendor's id in its
# long address number (F0101 ALKY, ``<prefix><vendor id>``, ``PFY2041``): the deterministic F0101 key it
# adopts by after a crash, and how ``suppliers`` knows such a supplier is not JDE's own before the pair is on
# record (it then waits for the ``vendors`` flow instead of making Procurify a second vendor). Vendor ids
# repeat across Procurify accounts, so two instances on accounts of their own keep prefixes of their own
# (refused at load otherwise: ``integration.APART_SETTINGS``): with one prefix, one account's vendor would
# adopt the supplier made for the other account's vendor of that id.
# A prefix ends in a letter, so no prefix and id read as another prefix's (``PFY2`` + ``41`` vs ``PFY241``).
PREFIX_SETTING = setting("LONG_ADDRESS_PREFIX")


def long_addresses() -> LongAddressNumbers:
    """This instance's long address numbers (``jde.address_numbers``), at ``PREFIX_SETTING`` (held apart
    from every other instance's at load: ``integration.APART_SETTINGS``)."""
    return LongAddressNumbers(str(settings.read(PREFIX_SETTING)).strip().upper(), "Procurify vendor id")


def long_address_number(vendor_id: str | int) -> str:
    """F0101 ALKY of the supplier made for a vendor (``PFY2041``)."""
    return long_addresses().of_id(vendor_id)


def vendor_of_long_address(alky: str | None) -> str | None:
    """``PFY2041`` -> ``"2041"``; None for any other ALKY (another instance's prefix included)."""
    return long_addresses().id_of(alky)
