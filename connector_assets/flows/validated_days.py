"""A write step's staged days, read and validated a few days ahead (``records.validate_days``): a pandera pass
costs about 10 ms however few records it holds, and a backfill writes hundreds of small days. A day whose
rows cannot be read keeps its error until asked for, so it fails alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from connector_assets.flows.records import RECORDS_PER_PASS, FlowSpec, Mapped, Validation, validate_days


class ValidatedDays:
    """``day(partition)``: that day's staged records and their validation, in the run's day order."""

    def __init__(
        self,
        spec: FlowSpec,
        partitions: Sequence[str | None],
        read: Callable[[str | None], list[Mapped]],
    ) -> None:
        self._spec = spec
        self._partitions = list(partitions)
        self._read = read
        self._ahead: dict[str | None, tuple[list[Mapped], Validation] | Exception] = {}

    def day(self, partition: str | None) -> tuple[list[Mapped], Validation]:
        if partition not in self._ahead:
            self._read_from(partition)
        found = self._ahead.pop(partition)
        if isinstance(found, Exception):
            raise found
        return found

    def read_ahead(self) -> Iterator[list[Mapped]]:
        """The valid records of the days read ahead and not yet asked for, day by day in order, up to the
        first day that could not be read (``found_ahead.SearchAhead``: what the next days will write)."""
        for _, valid in self.days_ahead():
            yield valid

    def staged_keys(self, partition: str | None) -> set[str]:
        """The source keys of ``partition``'s staged records (read now if not yet; none if unreadable)."""
        if partition not in self._ahead:
            self._read_from(partition)
        found = self._ahead[partition]
        return set() if isinstance(found, Exception) else {record.source_key for record in found[0]}

    def days_ahead(self) -> Iterator[tuple[str | None, list[Mapped]]]:
        """``read_ahead`` with each day's partition."""
        for partition, found in list(self._ahead.items()):
            if isinstance(found, Exception):
                return
            yield partition, found[1].valid

    def _read_from(self, partition: str | None) -> None:
        """Read and validate ``partition`` and the days after it, up to ``RECORDS_PER_PASS`` records."""
        read: list[tuple[str | None, list[Mapped]]] = []
        count = 0
        for day in self._partitions[self._partitions.index(partition) :]:
            if day in self._ahead:
                break
            try:
                records = self._read(day)
            except Exception as error:  # that day's failure, raised when it is asked for
                self._ahead[day] = error
                continue
            read.append((day, records))
            count += len(records)
            if count >= RECORDS_PER_PASS:
                break
        checked = validate_days(self._spec, [records for _, records in read])
        for (day, records), validation in zip(read, checked, strict=True):
            self._ahead[day] = (records, validation)
