"""The E1 tables the sandbox serves, described the way the data dictionary describes them.

Aliases, types and lengths follow ``shared/reference/jde-ais.md`` section 3 (a subset of each table:
the columns an integration reads or writes). Amounts and other decimal columns are stored scaled
(``1234.56`` -> ``123456``), exactly as JDE keeps them, and rendered with the decimals applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    """How a column is stored and rendered."""

    STRING = "A"  # character, fixed maximum length, blanks rendered as a single space
    INTEGER = "N"  # whole number (address numbers, document numbers, batch numbers)
    DECIMAL = "D"  # number with implied decimals (amounts, quantities, rates, LNID)
    DATE = "J"  # Julian CYYDDD, rendered as a date string
    TIME = "T"  # HHMMSS number (UPMT, TDAY)


@dataclass(frozen=True)
class Column:
    alias: str
    kind: Kind
    title: str
    length: int = 0
    decimals: int = 0
    # Business units are right-justified in the database ("         M30").
    right_justified: bool = False

    @property
    def default(self) -> str | int:
        return "" if self.kind is Kind.STRING else 0


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    indexes: tuple[tuple[str, ...], ...] = ()
    by_alias: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_alias", {column.alias: column for column in self.columns})
        missing = [alias for alias in self.key if alias not in self.by_alias]
        if missing:
            raise ValueError(f"{self.name}: key columns {missing} are not defined")

    @property
    def update_time_column(self) -> str:
        """F4301/F4311 stamp the time in TDAY; every other table uses UPMT (reference, section 3)."""
        return "TDAY" if "TDAY" in self.by_alias else "UPMT"


def _a(alias: str, length: int, title: str, *, rj: bool = False) -> Column:
    return Column(alias, Kind.STRING, title, length=length, right_justified=rj)


def _n(alias: str, title: str, digits: int = 8) -> Column:
    return Column(alias, Kind.INTEGER, title, length=digits)


def _d(alias: str, title: str, decimals: int = 2) -> Column:
    return Column(alias, Kind.DECIMAL, title, length=15, decimals=decimals)


def _j(alias: str, title: str) -> Column:
    return Column(alias, Kind.DATE, title, length=6)


def _audit(time_alias: str) -> tuple[Column, ...]:
    time_title = "Time of Day" if time_alias == "TDAY" else "Time Last Updated"
    return (
        _a("USER", 10, "User ID"),
        _a("PID", 10, "Program ID"),
        _a("JOBN", 10, "Work Station ID"),
        _j("UPMJ", "Date Updated"),
        Column(time_alias, Kind.TIME, time_title, length=6),
    )


def _bu(alias: str, title: str) -> Column:
    return _a(alias, 12, title, rj=True)


F0101 = Table(
    "F0101",
    "Address Book Master",
    (
        _n("AN8", "Address Number"),
        _a("ALKY", 20, "Long Address Number"),
        _a("TAX", 20, "Tax ID"),
        _a("ALPH", 40, "Alpha Name"),
        _a("DC", 40, "Description - Compressed"),
        _bu("MCU", "Business Unit"),
        _a("SIC", 10, "Industry Classification"),
        _a("LNGP", 2, "Language"),
        _a("AT1", 3, "Sch Typ"),
        _a("CM", 2, "Credit Message"),
        _a("TAXC", 1, "Person/Corporation Code"),
        _a("ATP", 1, "Payables Y/N"),
        _a("ATR", 1, "Receivables Y/N"),
        _n("AN81", "1st Address Number"),
        _a("AC01", 3, "Category Code 01"),
        _a("AC02", 3, "Category Code 02"),
        _a("TX2", 20, "Additional Ind/Tax ID"),
        _a("ALP1", 40, "Secondary Alpha Name"),
        _a("DUNS", 13, "Dun & Bradstreet Number"),
        *_audit("UPMT"),
    ),
    key=("AN8",),
    indexes=(("UPMJ", "UPMT"), ("AT1",), ("TAX",)),
)

F0401 = Table(
    "F0401",
    "Supplier Master",
    (
        _n("AN8", "Address Number"),
        _a("APC", 4, "A/P Class Code"),
        _bu("MCUP", "Business Unit - A/P"),
        _a("OBAP", 6, "Object Account - A/P"),
        _a("AIDP", 8, "Account ID - A/P"),
        _a("KCOP", 5, "Document Company - A/P"),
        _n("DCAP", "Document Number - A/P"),
        _a("DTAP", 2, "Document Type - A/P"),
        _a("CRRP", 3, "Currency Code - A/P"),
        _a("TXA2", 10, "Tax Rate/Area"),
        _a("EXR2", 2, "Tax Expl Code 2"),
        _a("HDPY", 1, "Hold Payment Code"),
        _a("TRAP", 3, "Payment Terms - A/P"),
        _a("SCK", 1, "Multiple Checks Y/N"),
        _a("PYIN", 1, "Payment Instrument"),
        _n("SNTO", "Send To Address"),
        _a("CRCA", 3, "Currency Code - A/B Amounts"),
        _d("AYPD", "Amount Vouchered YTD"),
        _d("APPD", "Amount Vouchered PYE"),
        _d("MINO", "Minimum Order Value"),
        _d("MAXO", "Maximum Order Value"),
        _a("HOLD", 2, "Hold Orders Code"),
        _a("AVCH", 1, "Evaluated Receipts Settlement"),
        *_audit("UPMT"),
    ),
    key=("AN8",),
    indexes=(("UPMJ", "UPMT"),),
)

F0901 = Table(
    "F0901",
    "Account Master",
    (
        _a("AID", 8, "Account ID"),
        _a("CO", 5, "Company"),
        _bu("MCU", "Business Unit"),
        _a("OBJ", 6, "Object Account"),
        _a("SUB", 8, "Subsidiary"),
        _a("ANS", 25, "Free Form (3rd Acct. No.)"),
        _a("DL01", 30, "Description"),
        _a("LDA", 1, "Level of Detail"),
        _a("BPC", 3, "Budget Pattern Code"),
        _a("PEC", 1, "Posting Edit"),
        _a("BILL", 1, "Billable"),
        _a("CRCD", 3, "Currency Code"),
        _a("UM", 2, "Unit of Measure"),
        _a("R001", 3, "Category Code - G/L 001"),
        _a("R002", 3, "Category Code - G/L 002"),
        _a("OBJA", 6, "Alternate Object"),
        _a("SUBA", 8, "Alternate Subsidiary"),
        _a("FMOD", 1, "Model Account"),
        *_audit("UPMT"),
    ),
    key=("AID",),
    indexes=(("MCU", "OBJ", "SUB"), ("UPMJ", "UPMT")),
)

_PO_KEY = (
    _a("KCOO", 5, "Order Company"),
    _n("DOCO", "Order Number"),
    _a("DCTO", 2, "Or Ty"),
    _a("SFXO", 3, "Order Suffix"),
)

F4301 = Table(
    "F4301",
    "Purchase Order Header File",
    (
        *_PO_KEY,
        _bu("MCU", "Business Unit"),
        _a("OKCO", 5, "Original Order Company"),
        _a("OORN", 8, "Original Order No"),
        _a("OCTO", 2, "Original Order Type"),
        _n("AN8", "Supplier Number"),
        _n("SHAN", "Ship To Number"),
        _j("DRQJ", "Requested Date"),
        _j("TRDJ", "Order Date"),
        _j("PDDJ", "Promised Delivery Date"),
        _j("OPDJ", "Original Promised Date"),
        _j("CNDJ", "Cancel Date"),
        _j("PEFJ", "Price Effective Date"),
        _a("VR01", 25, "Reference"),
        _a("VR02", 25, "Reference 2"),
        _a("DEL1", 30, "Delivery Instructions 1"),
        _a("DEL2", 30, "Delivery Instructions 2"),
        _a("RMK", 30, "Remark"),
        _a("DESC", 30, "Description"),
        _a("PTC", 3, "Payment Terms"),
        _a("TXA1", 10, "Tax Rate/Area"),
        _a("HOLD", 2, "Hold Code"),
        _n("ANBY", "Buyer Number"),
        _a("CRRM", 1, "Currency Mode"),
        _a("CRCD", 3, "Currency Code"),
        _d("CRR", "Exchange Rate", decimals=7),
        _a("ORBY", 10, "Ordered By"),
        _a("TKBY", 10, "Order Taken By"),
        _a("BCRC", 3, "Base Currency"),
        *_audit("TDAY"),
    ),
    key=("KCOO", "DOCO", "DCTO", "SFXO"),
    indexes=(("UPMJ", "TDAY"), ("AN8",), ("DOCO",)),
)

F4311 = Table(
    "F4311",
    "Purchase Order Detail File",
    (
        *_PO_KEY,
        # Stored with 3 implied decimals: 1000 is line 1.000.
        _d("LNID", "Line Number", decimals=3),
        _bu("MCU", "Business Unit"),
        _a("CO", 5, "Company"),
        _n("AN8", "Supplier Number"),
        _n("SHAN", "Ship To Number"),
        _j("DRQJ", "Requested Date"),
        _j("TRDJ", "Order Date"),
        _j("PDDJ", "Promised Delivery Date"),
        _j("DGL", "G/L Date"),
        _n("PN", "Period Number", digits=2),
        _a("VR01", 25, "Reference"),
        _n("ITM", "Short Item No"),
        _a("LITM", 25, "2nd Item Number"),
        _a("AITM", 25, "3rd Item Number"),
        _a("LOCN", 20, "Location"),
        _a("DSC1", 30, "Description"),
        _a("DSC2", 30, "Description 2"),
        _a("LNTY", 2, "Line Type"),
        _a("NXTR", 3, "Next Status"),
        _a("LTTR", 3, "Last Status"),
        _a("UOM", 2, "Unit of Measure"),
        _d("UORG", "Quantity Ordered", decimals=0),
        _d("UOPN", "Quantity Open", decimals=0),
        _d("UREC", "Quantity Received", decimals=0),
        _d("PRRC", "Unit Cost", decimals=4),
        _d("AEXP", "Extended Cost"),
        _d("AOPN", "Amount Open"),
        _d("AREC", "Amount Received"),
        _a("TX", 1, "Taxable"),
        _a("GLC", 4, "G/L Offset"),
        _a("LT", 2, "Ledger Type"),
        _a("ANI", 29, "Account Number"),
        _a("AID", 8, "Account ID"),
        _bu("OMCU", "Business Unit - Account"),
        _a("OBJ", 6, "Object Account"),
        _a("SUB", 8, "Subsidiary"),
        _a("SBLT", 1, "Subledger Type"),
        _a("SBL", 8, "Subledger"),
        _a("CRCD", 3, "Currency Code"),
        *_audit("TDAY"),
    ),
    key=("KCOO", "DOCO", "DCTO", "SFXO", "LNID"),
    indexes=(("UPMJ", "TDAY"), ("DOCO",)),
)

_VOUCHER_BODY = (
    _a("KCO", 5, "Document Company"),
    _n("DOC", "Document Number"),
    _a("DCT", 2, "Document Type"),
    _a("SFX", 3, "Pay Item"),
    _n("SFXE", "Pay Item Extension", digits=2),
    _a("DCTA", 2, "Adjusting Document Type"),
    _n("AN8", "Address Number"),
    _n("PYE", "Payee Address Number"),
    _n("SNTO", "Send To Address"),
    _j("DIVJ", "Invoice Date"),
    _j("DSVJ", "Service/Tax Date"),
    _j("DDJ", "Net Due Date"),
    _j("DDNJ", "Discount Due Date"),
    _j("DGJ", "G/L Date"),
    _n("FY", "Fiscal Year", digits=2),
    _n("CTRY", "Century", digits=2),
    _n("PN", "Period Number", digits=2),
    _a("CO", 5, "Company"),
    _n("ICU", "Batch Number"),
    _a("ICUT", 2, "Batch Type"),
    _j("DICJ", "Batch Date"),
    _a("BALJ", 1, "Balanced - Journal Entries"),
    _a("PST", 1, "Pay Status"),
    _d("AG", "Gross Amount"),
    _d("AAP", "Open Amount"),
    _d("ADSC", "Discount Available"),
    _d("ADSA", "Discount Taken"),
    _d("ATXA", "Taxable Amount"),
    _d("ATXN", "Non-Taxable Amount"),
    _d("STAM", "Tax Amount"),
    _a("TXA1", 10, "Tax Rate/Area"),
    _a("EXR1", 2, "Tax Expl Code"),
    _a("CRRM", 1, "Currency Mode"),
    _a("CRCD", 3, "Currency Code"),
    _d("CRR", "Exchange Rate", decimals=7),
    _d("ACR", "Foreign Gross Amount"),
    _d("FAP", "Foreign Open Amount"),
    _a("GLC", 4, "G/L Offset"),
    _a("GLBA", 8, "G/L Bank Account"),
    _a("POST", 1, "G/L Posted Code"),
    _a("AM", 1, "Account Mode - G/L"),
    _bu("MCU", "Business Unit"),
    _a("OBJ", 6, "Object Account"),
    _a("SUB", 8, "Subsidiary"),
    _a("SBLT", 1, "Subledger Type"),
    _a("SBL", 8, "Subledger"),
    _a("PTC", 3, "Payment Terms"),
    _a("VOD", 1, "Void Flag"),
    _a("VINV", 25, "Supplier Invoice Number"),
    _a("PKCO", 5, "Purchase Order Company"),
    _a("PO", 8, "Purchase Order"),
    _a("PDCT", 2, "Purchase Order Type"),
    _d("LNID", "Line Number", decimals=3),
    _a("SFXO", 3, "Order Suffix"),
    _a("VR01", 25, "Reference"),
    _a("RMK", 30, "Remark"),
    _a("PYIN", 1, "Payment Instrument"),
    _a("TORG", 10, "Transaction Originator"),
)

F0411 = Table(
    "F0411",
    "Accounts Payable Ledger",
    (*_VOUCHER_BODY, *_audit("UPMT")),
    key=("KCO", "DOC", "DCT", "SFX", "SFXE"),
    indexes=(("UPMJ", "UPMT"), ("AN8",), ("DOC",)),
)

_EDI_CONTROL = (
    _a("EDUS", 10, "EDI - User ID"),
    _a("EDTN", 22, "EDI - Transaction Number"),
    _n("EDLN", "EDI - Line Number", digits=7),
    _a("EDBT", 15, "EDI - Batch Number"),
    _a("EDSP", 1, "EDI - Successfully Processed"),
    _a("EDTC", 1, "EDI - Transaction Action"),
    _a("EDTR", 1, "EDI - Transaction Type"),
    _j("EDDT", "EDI - Transmission Date"),
)
_EDI_KEY = ("EDUS", "EDBT", "EDTN", "EDLN")

F0411Z1 = Table(
    "F0411Z1",
    "Voucher Transactions - Batch Upload",
    (*_EDI_CONTROL, *_VOUCHER_BODY, _n("DOCM", "Matching Document"), *_audit("UPMT")),
    key=_EDI_KEY,
    indexes=(("UPMJ", "UPMT"), ("EDTN",), ("EDSP",)),
)

F0911Z1 = Table(
    "F0911Z1",
    "Journal Entry Transactions - Batch File",
    (
        *_EDI_CONTROL,
        _a("KCO", 5, "Document Company"),
        _a("DCT", 2, "Document Type"),
        _n("DOC", "Document Number"),
        _j("DGJ", "G/L Date"),
        _d("JELN", "Journal Entry Line Number", decimals=1),
        _a("EXTL", 2, "Line Extension Code"),
        _a("POST", 1, "G/L Posted Code"),
        _n("ICU", "Batch Number"),
        _a("ICUT", 2, "Batch Type"),
        _j("DICJ", "Batch Date"),
        _j("DSYJ", "Batch System Date"),
        _a("CO", 5, "Company"),
        _a("ANI", 29, "Account Number"),
        _a("AM", 1, "Account Mode - G/L"),
        _a("AID", 8, "Account ID"),
        _bu("MCU", "Business Unit"),
        _a("OBJ", 6, "Object Account"),
        _a("SUB", 8, "Subsidiary"),
        _a("SBL", 8, "Subledger"),
        _a("SBLT", 1, "Subledger Type"),
        _a("LT", 2, "Ledger Type"),
        _n("PN", "Period Number", digits=2),
        _n("CTRY", "Century", digits=2),
        _n("FY", "Fiscal Year", digits=2),
        _a("CRCD", 3, "Currency Code"),
        _d("CRR", "Exchange Rate", decimals=7),
        _d("AA", "Amount"),
        _d("U", "Units", decimals=0),
        _a("UM", 2, "Unit of Measure"),
        _a("GLC", 4, "G/L Offset"),
        _a("EXA", 30, "Explanation"),
        _a("EXR", 30, "Explanation -Remark-"),
        _a("R1", 8, "Reference 1"),
        _a("SFX", 3, "Pay Item"),
        _n("ODOC", "Original Document No"),
        _n("AN8", "Address Number"),
        _a("VINV", 25, "Supplier Invoice Number"),
        _a("TORG", 10, "Transaction Originator"),
        *_audit("UPMT"),
    ),
    key=_EDI_KEY,
    indexes=(("UPMJ", "UPMT"), ("EDTN",)),
)


def _columns_of(table: Table, *aliases: str) -> tuple[Column, ...]:
    return tuple(table.by_alias[alias] for alias in aliases)


# The posted G/L lines (prefix GL). A column F0911Z1 also has keeps F0911Z1's declaration; the purchase
# order reference (PO, PKCO, PDCT) is declared as on F0411.
F0911 = Table(
    "F0911",
    "Account Ledger",
    (
        *_columns_of(F0911Z1, "KCO", "DCT", "DOC", "DGJ", "JELN", "EXTL", "POST", "ICU", "ICUT", "DICJ"),
        *_columns_of(F0911Z1, "DSYJ", "CO", "ANI", "AM", "AID", "MCU", "OBJ", "SUB", "SBL", "SBLT", "LT"),
        *_columns_of(F0911Z1, "PN", "CTRY", "FY", "CRCD", "CRR", "AA", "U", "UM", "GLC", "EXA", "EXR"),
        *_columns_of(F0911Z1, "AN8", "VINV", "SFX"),
        *_columns_of(F0411, "PO", "PKCO", "PDCT"),
        *_columns_of(F0911Z1, "TORG"),
        *_audit("UPMT"),
    ),
    key=("KCO", "DCT", "DOC", "DGJ", "JELN", "EXTL", "LT"),
    indexes=(("UPMJ", "UPMT"), ("KCO", "DOC", "DCT")),
)

TABLES: dict[str, Table] = {
    table.name: table for table in (F0101, F0401, F0901, F4301, F4311, F0411, F0411Z1, F0911Z1, F0911)
}
