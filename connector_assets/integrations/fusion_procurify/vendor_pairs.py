"""Which Procurify vendor and which Fusion supplier are one pair, whichever way the pair was made.

A pair is kept as ledger cross-references, made in one of three ways:

* ``vendors`` (Procurify -> Fusion) matched a Procurify vendor to the Fusion supplier of the same name:
  the ``vendor`` xref, source ``procurify:<vendor id>``, target the Fusion ``SupplierId``;
* an operator matched them by hand (``ml-connector xref set``, or the manual matches file
  ``ML_FUSION_PROCURIFY_VENDOR_XREF``): the same ``vendor`` xref, marked manual, which no flow overwrites;
* ``suppliers`` (Fusion -> Procurify) adopted or created a Procurify vendor for a Fusion supplier: the
  ``supplier`` xref, source ``fusion:<SupplierId>``, target the Procurify vendor id.

Every flow that needs "the Fusion supplier of this Procurify vendor" or "the Procurify vendor of this
Fusion supplier" asks here, so all of them name the same single pair.

How a pair is read is the Procurify side's (``procurify.vendor_pairing``); this module declares Fusion's
keys. A record waiting for a vendor's supplier is held on ``vendor_dependency(vendor id)``; whatever makes
the pair (the ``vendors`` flow's write, the ``suppliers`` flow's, ``ml-connector xref set``) releases it.
"""

from connector_assets.asset_keys import asset_key
from connector_assets.fusion.suppliers import supplier_id_key
from connector_assets.integrations.fusion_procurify.integration import INTEGRATION
from connector_assets.procurify.vendor_pairing import PROCURIFY as PROCURIFY
from connector_assets.procurify.vendor_pairing import (
    SUPPLIER_ENTITY as SUPPLIER_ENTITY,  # Fusion -> Procurify
)
from connector_assets.procurify.vendor_pairing import VENDOR_ENTITY as VENDOR_ENTITY  # vendors flow, by hand
from connector_assets.procurify.vendor_pairing import VendorPairing, numeric_key, vendor_id_key

FUSION = "fusion"
# The manual matches file's asset: upstream of every mapped step reading pairs (``matches_first``: why).
MATCHES_ASSET = asset_key(INTEGRATION, "manual_matches")
id_key = numeric_key  # a numeric id as the ledger keys it (``ml-connector xref``)

# A ``vendor`` xref naming a supplier is asked first for the supplier's vendor: it may be a manual match.
PAIRING = VendorPairing(
    INTEGRATION, FUSION, supplier_key=supplier_id_key, vendor_key=vendor_id_key, vendor_xref_first=True
)
# paired_supplier(ledger, vendor id): the Fusion ``SupplierId`` (name match or manual, else the supplier
# whose ``supplier`` xref targets the vendor). paired_vendor(ledger, SupplierId): a ``vendor`` xref (manual
# first: it is an operator's word) targeting it, else the ``supplier`` xref's target. None when none.
paired_supplier = PAIRING.paired_supplier
paired_vendor = PAIRING.paired_vendor
# manual_vendor(ledger, SupplierId): the vendor matched by hand, None when a flow made the pair. A manual
# match says the two records are one although their names differ, so ``suppliers`` never sends such a
# vendor the supplier's name.
manual_vendor = PAIRING.manual_vendor
# vendor_dependency(vendor id): ``fusion_procurify:vendor:procurify:<id>``, what a purchase order or invoice
# waiting for that vendor's Fusion supplier is held on.
vendor_dependency = PAIRING.vendor_dependency
