"""Fusion's account combinations (``accountCombinationsLOV``) as staged and checked: each record read
from the pod becomes one staged row (``combination_row``, ``stage_combinations``), and a staged row says
whether a line can be charged to it on a day (``Combination.problem``).

Only ``_CODE_COMBINATION_ID`` is confirmed (reference §2.9): a flag the pod does not send allows (a missing
attribute must not refuse every line), and unreadable segments are not staged.
docs/integrations/fusion_procurify.md, "Mapping tables".
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from dagster import AssetKey, Failure

from connector_assets.runtime.staging import Column

LOV = "accountCombinationsLOV"
SEGMENTS = ("_SEGMENT1", "_SEGMENT2", "_SEGMENT3", "_SEGMENT4")  # the default segment attribute names
DELIMITER = "-"  # between Fusion segment values (the sandbox chart's and the reference's example)

COMBINATION_COLUMNS = (
    Column("id"),
    Column("combination"),
    Column("company"),
    Column("cost_center"),
    Column("account"),
    Column("intercompany"),
    Column("enabled"),  # "true" / "false" / "" (the pod did not say)
    Column("postable"),
    Column("start_date"),
    Column("end_date"),
    Column("account_type"),
)


def _flag(value: Any) -> str:
    """A Fusion flag as staged: ``true`` / ``false``, or empty when the pod did not send it. Flags come as
    JSON booleans on the REST API (reference §2.3); ``Y`` / ``N`` (the table's own values) are read too,
    since an LOV may pass the column through."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value).strip().upper()
    if text in ("Y", "YES", "TRUE", "1"):
        return "true"
    if text in ("N", "NO", "FALSE", "0"):
        return "false"
    return ""


def _day(value: Any) -> str:
    text = str(value or "").strip()
    return text[:10] if text else ""


def combination_row(
    record: Mapping[str, Any], segment_attributes: tuple[str, ...] = SEGMENTS
) -> dict[str, str] | None:
    """One ``accountCombinationsLOV`` record as staged; None when its segments cannot be read."""
    segments = [str(record.get(name) or "").strip() for name in segment_attributes]
    if not all(segments):
        return None
    return {
        "id": str(record.get("_CODE_COMBINATION_ID") or ""),
        "combination": DELIMITER.join(segments),
        "company": segments[0],
        "cost_center": segments[1],
        "account": segments[2],
        "intercompany": segments[3],
        "enabled": _flag(record.get("EnabledFlag")),
        "postable": _flag(record.get("DetailPostingAllowed")),
        "start_date": _day(record.get("StartDateActive")),
        "end_date": _day(record.get("EndDateActive")),
        "account_type": str(record.get("AccountType") or ""),
    }


def stage_combinations(
    staging: Any,
    asset: AssetKey,
    records: Iterable[Mapping[str, Any]],
    segment_attributes: tuple[str, ...] = SEGMENTS,
    *,
    segments_setting: str,
) -> tuple[int, int]:
    """Replace the combinations staged as ``asset`` with ``records``; (staged, skipped for unreadable
    segments). None readable is a Failure naming ``segments_setting``, keeping the previous snapshot: staged
    empty, every order and invoice line would be refused as 'not in accountCombinationsLOV'."""
    staged = skipped = 0
    attributes: list[str] = []
    writer = staging.writer(asset, None, COMBINATION_COLUMNS)
    try:
        for record in records:
            row = combination_row(record, segment_attributes)
            if row is None:
                skipped += 1
                attributes = attributes or sorted(str(k) for k in record)
                continue
            writer.write(row)
            staged += 1
        if skipped and not staged:
            raise Failure(
                f"{LOV} answered {skipped} account combinations but none has readable segments "
                f"{', '.join(segment_attributes)} (its records carry: {', '.join(attributes[:30])}): set "
                f"{segments_setting} to the pod's four segment attribute names (company, cost center, "
                "natural account, intercompany), then rerun; the previous combinations are kept"
            )
        writer.commit()
    except BaseException:
        writer.abort()
        raise
    return staged, skipped


@dataclass(frozen=True)
class Combination:
    """One staged Fusion account combination and whether it takes postings."""

    text: str
    enabled: bool
    postable: bool
    start: date | None
    end: date | None

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> "Combination":
        def day(value: Any) -> date | None:
            text = str(value or "").strip()
            return date.fromisoformat(text[:10]) if text else None

        return cls(
            text=str(row["combination"]),
            enabled=str(row.get("enabled") or "") != "false",  # a flag not sent allows
            postable=str(row.get("postable") or "") != "false",
            start=day(row.get("start_date")),
            end=day(row.get("end_date")),
        )

    def problem(self, on: date) -> str | None:
        """Why no line can be charged to it on ``on`` (None: it can), in a finance user's words."""
        if not self.enabled:
            return f"Fusion account {self.text} is disabled"
        if not self.postable:
            return f"Fusion account {self.text} is not postable (detail posting not allowed)"
        if self.end is not None and self.end < on:
            return f"Fusion account {self.text} is end-dated ({self.end.isoformat()})"
        if self.start is not None and self.start > on:
            return f"Fusion account {self.text} is not active before {self.start.isoformat()}"
        return None


def staged_combinations(staging: Any, asset: AssetKey) -> dict[str, Combination]:
    """The combinations staged as ``asset``, by text; never staged is a Failure naming the asset (every
    line would look refused: a systemic cause, not bad records)."""
    if not staging.exists(asset, None):
        raise Failure(
            "Fusion's account combinations were never staged on this instance: materialize "
            f"{asset.to_user_string()}, then rerun"
        )
    return {str(r["combination"]): Combination.of(r) for r in staging.read_rows(asset, None)}
