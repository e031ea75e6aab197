"""wait_until_finished: stepped polling on the injected clock, typed failures."""

from __future__ import annotations

import pytest

from contentloop.domain.clock import SimulatedClock
from contentloop.instagram import (
    ContainerFailed,
    ContainerTimeout,
    GraphClient,
    wait_until_finished,
)

V = "/v25.0"


def _statuses(httpserver, cid, codes):
    for code, status in codes:
        httpserver.expect_ordered_request(f"{V}/{cid}").respond_with_json(
            {"status_code": code, "status": status, "id": cid})


@pytest.fixture
def clock():
    return SimulatedClock()


@pytest.fixture
def client(httpserver, clock):
    with GraphClient(httpserver.url_for("/"), "tok", clock=clock) as c:
        yield c


def test_polls_with_stepped_backoff_until_finished(httpserver, client, clock):
    _statuses(httpserver, "c1", [("IN_PROGRESS", "In Progress")] * 3 + [("FINISHED", "ok")])
    start = clock.now()
    st = wait_until_finished(client, "c1", clock, deadline_s=120)
    assert st.status_code == "FINISHED"
    assert (clock.now() - start).total_seconds() == 2 + 5 + 10
    assert len(httpserver.log) == 4


def test_deadline_raises_timeout(httpserver, client, clock):
    httpserver.expect_request(f"{V}/c2").respond_with_json(
        {"status_code": "IN_PROGRESS", "id": "c2"})
    with pytest.raises(ContainerTimeout) as ei:
        wait_until_finished(client, "c2", clock, deadline_s=20)
    assert ei.value.last_status == "IN_PROGRESS"
    assert ei.value.waited_s == 17 and len(httpserver.log) == 4  # at 0, 2, 7, 17 s


@pytest.mark.parametrize(("status", "new_container"), [
    ("Error: Media upload has failed with error code 2207026", False),
    ("Error: Media upload has failed with error code 2207082", True),
])
def test_error_status_is_typed(httpserver, client, clock, status, new_container):
    _statuses(httpserver, "c3", [("ERROR", status)])
    with pytest.raises(ContainerFailed) as ei:
        wait_until_finished(client, "c3", clock)
    assert ei.value.new_container is new_container
    assert ei.value.subcode == int(status[-7:])


def test_expired_means_new_container(httpserver, client, clock):
    _statuses(httpserver, "c4", [("EXPIRED", "")])
    with pytest.raises(ContainerFailed) as ei:
        wait_until_finished(client, "c4", clock)
    assert ei.value.status_code == "EXPIRED" and ei.value.new_container


def test_published_is_returned_not_raised(httpserver, client, clock):
    _statuses(httpserver, "c5", [("PUBLISHED", "Published")])
    assert wait_until_finished(client, "c5", clock).status_code == "PUBLISHED"
