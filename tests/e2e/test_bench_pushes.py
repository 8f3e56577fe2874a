"""The benchmark's push feed (bench/local_pushes.PushFeed) on the session's local cloud: read from
moto's memory (moto runs in this process), it sees what the Scan of PushesTable sees."""

from __future__ import annotations

import time

import pytest

from bench.local_pushes import PushFeed
from bench.local_readback import bench_vins
from localcloud.cloud import LocalCloud
from localcloud.demo import request_service

pytestmark = pytest.mark.e2e


def test_the_feed_read_in_memory_sees_the_pushes_a_scan_sees(cloud: LocalCloud) -> None:
    since = int(time.time() * 1000)
    feed = PushFeed(cloud, since_ms=since, min_interval_s=0.0)
    assert feed._moto_table is not None  # the in-memory reader is the one under test
    sent = []
    for vin in bench_vins(cloud)[-2:]:  # the fleet's bench cars answer at once
        res = request_service(cloud, "bench", vin, "HORN_BLOW")
        assert res.status == 202, res.body
        sent.append(str(res.body["eventId"]))
    deadline = time.monotonic() + 60
    while not set(sent) <= {str(p.body.get("notificationId")) for p in feed.pushes}:
        assert time.monotonic() < deadline, f"no push for {sent} in 60 s"
        feed.poll()
        time.sleep(0.2)
    feed.poll(force=True)
    scanned = cloud.mocks.all_pushes(since)
    assert sorted((p.received_ms, str(p.body)) for p in feed.pushes) == sorted(
        (int(i["receivedMs"]), str(i["body"])) for i in scanned
    )
