"""Which Procurify vendor and which Fusion supplier are one pair, whichever way the pair was made.

A pair is kept as ledger cross-references, made in one of three ways:

* ``vendors`` (Procurify -> Fusion) matched a Procurify vendor to the Fusion supplier of the same name:
  the ``vendor`` xref, source ``procurify:<vendor id>``, target the Fusion ``SupplierId``;
* an operator matched them by hand (``ml-connector xref set``, or the manual matches file
  ``ML_FUSION_PROCURIFY_VENDOR_XREF``): the same ``vendor`` xref, marked manual, which no flow overwrites;
* ``suppliers`` (Fusion -> Procurify) adopted or created a Procurify vendor for a Fusion supplier: the
  ``supplier`` xref, source ``fusion:<SupplierId>``, target the Procurify vendor id.

Every flow that needs "the Fusion supplier of this Procurify vendor" (purchase orders, invoices) or "the
Procurify vendor of this Fusion supplier" (suppliers, payment status, reconciliation) asks here, so all of
them name the same single pair. A claimed cross-reference with no target id yet (a write under way, or
killed before the target answered) is not a pair. Fusion has no documented supplier create (reference
§2.7 lists reads only), so a Procurify vendor with no Fusion supplier is never invented in Fusion: it is
paired by name or by hand.

A record waiting for a vendor's supplier is held on ``vendor_dependency(vendor id)``; whatever makes the
pair (the ``vendors`` flow's write, the ``suppliers`` flow's, ``ml-connector xref set``) releases that key.
"""

from connector_assets.integrations.fusion_procurify.integration import INTEGRATION
from connector_resources.ledger import Ledger, dependency_key

SUPPLIER_ENTITY = "supplier"  # the ``suppliers`` flow's entity (Fusion -> Procurify)
VENDOR_ENTITY = "vendor"  # the ``vendors`` flow's entity (Procurify -> Fusion) and the manual matches'
FUSION = "fusion"
PROCURIFY = "procurify"


def id_key(value: str | int, what: str) -> str:
    """A numeric id as the ledger keys it: digits, no padding; an error naming ``what`` otherwise."""
    text = str(value).strip()
    if not text.isdigit():
        raise ValueError(f"{what} {value!r} is not a number")
    return str(int(text))


def paired_supplier(ledger: Ledger, vendor_id: str | int) -> str | None:
    """The Fusion ``SupplierId`` paired with Procurify vendor ``vendor_id``: the ``vendor`` xref's target
    (name match or manual), else the supplier whose ``supplier`` xref targets this vendor; None when the
    vendor has no Fusion supplier yet."""
    key = id_key(vendor_id, "Procurify vendor id")
    xref = ledger.get_xref(INTEGRATION, VENDOR_ENTITY, PROCURIFY, key, FUSION)
    if xref is not None and xref.target_id:
        return xref.target_id
    from_fusion = ledger.find_xref_by_target(INTEGRATION, SUPPLIER_ENTITY, PROCURIFY, key)
    return from_fusion.source_key if from_fusion is not None else None


def paired_vendor(ledger: Ledger, supplier_id: str | int) -> str | None:
    """The Procurify vendor id paired with Fusion supplier ``supplier_id``: a ``vendor`` xref (manual
    first: it is an operator's word) targeting it, else the ``supplier`` xref's target; None when none."""
    key = id_key(supplier_id, "Fusion SupplierId")
    matched = ledger.find_xref_by_target(INTEGRATION, VENDOR_ENTITY, FUSION, key)
    if matched is not None:
        return matched.source_key
    xref = ledger.get_xref(INTEGRATION, SUPPLIER_ENTITY, FUSION, key, PROCURIFY)
    return xref.target_id if xref is not None and xref.target_id else None


def manual_vendor(ledger: Ledger, supplier_id: str | int) -> str | None:
    """The Procurify vendor id matched by hand (``xref set`` or the matches file) with Fusion supplier
    ``supplier_id``; None when its pair, if any, was made by a flow. A manual match says the two records
    are one although their names differ, so ``suppliers`` never sends such a vendor the supplier's name."""
    key = id_key(supplier_id, "Fusion SupplierId")
    matched = ledger.find_xref_by_target(INTEGRATION, VENDOR_ENTITY, FUSION, key)
    return matched.source_key if matched is not None and matched.manual else None


def vendor_dependency(vendor_id: str | int) -> str:
    """The dependency key of Procurify vendor ``vendor_id`` (``fusion_procurify:vendor:procurify:<id>``):
    what a purchase order or invoice waiting for that vendor's Fusion supplier is held on."""
    return dependency_key(INTEGRATION, VENDOR_ENTITY, PROCURIFY, id_key(vendor_id, "Procurify vendor id"))
