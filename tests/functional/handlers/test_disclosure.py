"""disclosure over every sample event: the record POSTed to the authority, a failed POST retried.
The real path: the lean AWS client against a real moto server, real HTTP servers for the partners."""

from __future__ import annotations

from pathlib import Path

import pytest

from functions.disclosure.app import handler as disclosure
from tests.functional.handlers.aws_events import VIN_FR, VIN_G2, eid
from tests.functional.handlers.conftest import Cloud, Context, assert_parked, event_files, failures, ids, load
from tests.support.http_fake import FakeHttpServer

DAY_S = 86400


DISCLOSURE: dict[str, tuple[list[int], list[tuple[int, str, str]]]] = {
    "de-door-unlock-executed": ([], [(60, "DE", VIN_G2)]),
    "fr-theft-alarm": ([], [(61, "FR", VIN_FR)]),
    "invalid-body-not-json": ([0], []),
}


@pytest.mark.parametrize("path", event_files("disclosure"), ids=ids(event_files("disclosure")))
def test_disclosure(path: Path, cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> None:
    want_parked, want = DISCLOSURE[path.stem]
    event = load(path)
    with FakeHttpServer() as authority:
        monkeypatch.setenv("DISCLOSURE_URL", authority.url)
        result = disclosure(event, Context())
    assert result == {"batchItemFailures": []}
    assert_parked(cloud, event, want_parked)
    assert [(r["eventId"], r["country"], r["vin"]) for r in authority.bodies] == [
        (eid(n), c, v) for n, c, v in want
    ]
    for record in authority.bodies:
        assert record["recordId"] == f"{record['eventId']}#{record['status']}"


def test_disclosure_reports_a_failed_post(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> None:
    event = load(next(p for p in event_files("disclosure") if p.stem == "fr-theft-alarm"))
    with FakeHttpServer() as authority:
        authority.default = 500
        monkeypatch.setenv("DISCLOSURE_URL", authority.url)
        assert failures(disclosure(event, Context()), event) == [0]
        assert len(authority.requests) == 3


def test_every_sample_has_an_expectation() -> None:
    for folder, table in (
        ("disclosure", DISCLOSURE),
    ):
        assert sorted(f.stem for f in event_files(folder)) == sorted(table), folder
        for name, expectation in table.items():
            assert bool(expectation[0]) == ("invalid" in name), (folder, name)
