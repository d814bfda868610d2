"""A replay reads each queued record again in its company; one Procore no longer has is refused, named."""

from connector_assets.flows.core import Rejected
from connector_assets.procore.queued_reads import Queued, read_queued
from connector_resources.procore.errors import ProcoreNotFoundError


class _Session:
    def __init__(self, records: dict[str, dict]) -> None:
        self.records = records

    def get(self, entity: str, key: str, project_id: int | None = None) -> dict:
        if key not in self.records:
            raise ProcoreNotFoundError(f"GET {entity}/{key}: 404", status=404)
        return self.records[key]


class _Sessions:
    def __init__(self, by_company: dict[int, _Session]) -> None:
        self.by_company = by_company

    def session(self, company: int) -> _Session:
        return self.by_company[company]


def test_a_queued_record_procore_no_longer_has_comes_back_refused_with_its_key_and_company():
    sessions = _Sessions({7: _Session({"11": {"id": 11}}), 8: _Session({})})
    places = Queued(companies={"11": 7, "12": 8}, projects={"11": 5, "12": None})

    read = list(read_queued(sessions, "requisitions", "requisition", ["11", "12"], places))

    assert [(key, company) for key, company, _session, _record in read] == [("11", 7), ("12", 8)]
    assert read[0][3] == {"id": 11}
    gone = read[1][3]
    assert isinstance(gone, Rejected) and gone.source_key == "12"
    assert "requisition 12 cannot be read from Procore" in gone.reason
    assert gone.payload["procore_company_id"] == 8
