"""The JD Edwards tables ml-connector reads, declared as data: the table, the asset in business words, the
document key (what "the same record" means when an overlap returns a row twice), the staged columns and
the pair of columns saying when a row last changed (UPMJ with UPMT, or TDAY on purchase-order tables).
Adding a table is adding a spec here.
"""

from __future__ import annotations

from dataclasses import dataclass

from dagster import AssetKey

from connector_assets.asset_keys import asset_key
from connector_assets.runtime.staging import Column

GROUP = "jde"  # the group of every JDE source asset


def _cols(spec: str) -> tuple[Column, ...]:
    """``"AN8:int ALPH TAX UPMJ:date"`` -> columns (kind defaults to str)."""
    out = []
    for item in spec.split():
        name, _, kind = item.partition(":")
        out.append(Column(name, kind or "str"))  # type: ignore[arg-type]
    return tuple(out)


@dataclass(frozen=True)
class JdeTable:
    table: str
    name: str  # the asset's name in the ``jde`` group: ``address_book``
    description: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    date_column: str = "UPMJ"
    time_column: str = "UPMT"
    partitioned: bool = True

    @property
    def asset(self) -> AssetKey:
        """``["jde", <name>]`` (``connector_assets.asset_keys``)."""
        return asset_key(GROUP, self.name)

    @property
    def aliases(self) -> list[str]:
        return [c.name for c in self.columns]

    def qualified(self, alias: str) -> str:
        return f"{self.table}.{alias}"

    def record_id(self, row: dict) -> str:
        """The document key as people write it, e.g. ``F4301 00200/4711/OP/000``."""
        return f"{self.table} " + "/".join(str(row.get(k, "")).strip() for k in self.key)


ADDRESS_BOOK = JdeTable(
    "F0101",
    "address_book",
    "F0101 Address Book Master: names, tax IDs and search types of suppliers (and everyone else).",
    ("AN8",),
    _cols("AN8:int ALKY TAX ALPH DC MCU AT1 TX2 TAXC ATP UPMJ:date UPMT:time"),
)

SUPPLIERS = JdeTable(
    "F0401",
    "suppliers",
    "F0401 Supplier Master: AP class, currency, payment terms and holds per supplier (name in F0101).",
    ("AN8",),
    _cols("AN8:int APC MCUP CRRP TXA2 HDPY TRAP PYIN HOLD UPMJ:date UPMT:time"),
)

# Not in the reference (it documents no address table): F0116's layout is general JDE knowledge. Not in
# JDE_TABLES, so the hourly JDE poll never reads it: only the flows that send addresses stage it, and only
# while ML_JDE_SUPPLIER_ADDRESSES is on (``connector_resources.jde.optional_tables``), since an AIS allowlist
# may refuse the table.
SUPPLIER_ADDRESSES = JdeTable(
    "F0116",
    "supplier_addresses",
    "F0116 Address by Date: mailing addresses per address number and effective date (EFTB); a day's rows "
    "say whose address changed that day.",
    ("AN8", "EFTB"),
    _cols("AN8:int EFTB:date ADD1 ADD2 ADD3 ADD4 CTY1 ADDS ADDZ CTR UPMJ:date UPMT:time"),
)

GL_ACCOUNTS = JdeTable(
    "F0901",
    "gl_accounts",
    "F0901 Account Master: every GL account with its posting edit code. Read whole and cached, "
    "refreshed daily, so mapping checks can tell 'account not found' from 'account not postable'.",
    ("AID",),
    _cols("AID CO MCU OBJ SUB ANS DL01 LDA PEC CRCD UPMJ:date UPMT:time"),
    partitioned=False,
)

# The currency columns of the documents JDE sends out (reference: "Multi-currency batch vouchers and
# journals"): a document entered in a foreign currency has currency mode CRRM F, its own-currency amounts in
# F0411 ACR / FAP (gross / open) and F4311 FRRC / FEA (unit cost / extended amount; which foreign column
# stands for PRRC / AEXP is general JDE data-dictionary knowledge), the domestic AG / AAP / PRRC / AEXP being
# JDE's conversion at the rate CRR. A day staged before these columns were staged simply lacks them (a
# Parquet file keeps its own columns): the readers complete such a row from JDE by key
# (``documents.changed_purchase_orders``), and vouchers are always read from JDE by key.
PO_HEADERS = JdeTable(
    "F4301",
    "po_headers",
    "F4301 Purchase Order Header.",
    ("KCOO", "DOCO", "DCTO", "SFXO"),
    _cols(
        "KCOO DOCO:int DCTO SFXO MCU AN8:int SHAN:int TRDJ:date DRQJ:date VR01 DESC PTC CRRM CRCD "
        "CRR:decimal ORBY HOLD UPMJ:date TDAY:time"
    ),
    time_column="TDAY",
)

PO_LINES = JdeTable(
    "F4311",
    "po_lines",
    "F4311 Purchase Order Detail: lines with item, quantity, cost and GL account (ANI / AID / OBJ / SUB).",
    ("KCOO", "DOCO", "DCTO", "SFXO", "LNID"),
    _cols(
        "KCOO DOCO:int DCTO SFXO LNID:decimal MCU CO AN8:int LITM DSC1 DSC2 LNTY NXTR LTTR UOM "
        "UORG:decimal PRRC:decimal AEXP:decimal FRRC:decimal FEA:decimal ANI AID OBJ SUB CRCD UPMJ:date "
        "TDAY:time"
    ),
    time_column="TDAY",
)

AP_LEDGER = JdeTable(
    "F0411",
    "ap_ledger",
    "F0411 Accounts Payable Ledger: vouchers (one row per pay item), open and posted.",
    ("KCO", "DOC", "DCT", "SFX", "SFXE"),
    _cols(
        "KCO DOC:int DCT SFX SFXE:int AN8:int DIVJ:date DDJ:date DGJ:date PST AG:decimal AAP:decimal "
        "STAM:decimal CRRM CRCD CRR:decimal ACR:decimal FAP:decimal VINV PKCO PO PDCT MCU OBJ SUB POST "
        "ICU:int RMK OKCO ODOC:int ODCT UPMJ:date UPMT:time"
    ),
)

JDE_TABLES: tuple[JdeTable, ...] = (ADDRESS_BOOK, SUPPLIERS, GL_ACCOUNTS, PO_HEADERS, PO_LINES, AP_LEDGER)
