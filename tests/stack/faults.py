"""Crash a service of the running stack while metrics stream in, and count what survives.

One experiment, used by test_faults.py (which asserts that nothing accepted
is lost) and by benchmarks/faults.py (which prints the figures).

The client behaves like the agent's forwarder: it posts batches in order and
retries a batch the API did not accept (an error status or no answer) until
it is, so every metric is eventually accepted once ingest resumes. A retried
batch the API had in fact accepted lands on the same points (same series,
same timestamps), so counting points counts distinct metrics.
"""
from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass

import requests

from tests.support import docker


@dataclass
class Outcome:
    service: str
    posted: int          # metrics the client sent at least once
    accepted: int        # metrics in batches answered 2xx
    queryable: int       # points the API returns afterwards
    refused: int         # POST attempts answered with an error status or not at all
    resumed_after: float  # seconds from the crash to the first accepted batch after it failed
    caught_up_after: float  # seconds from the crash until every accepted metric was queryable

    def __str__(self):
        return (f"{self.service:10} posted {self.posted:6}  accepted {self.accepted:6}  "
                f"queryable {self.queryable:6}  failed posts {self.refused:4}  "
                f"accepting again after {self.resumed_after:5.1f} s  "
                f"all queryable after {self.caught_up_after:5.1f} s")


def crash(container: str) -> None:
    """SIGKILL the container's init from the host, as the OOM killer or a crash would.

    (`docker kill` would count as a manual stop, which a restart policy
    leaves stopped by design.)"""
    pid = int(docker("inspect", "--format", "{{.State.Pid}}", container).stdout)
    os.kill(pid, signal.SIGKILL)


def run(api_url: str, token: str, service: str, name: str, *, count=1000, batch=20,
        rate=200.0, crash_after=0.25, settle=240) -> Outcome:
    """Stream `count` metrics at `rate`/s, crash `service` after `crash_after` of
    them, then wait up to `settle` s for every accepted one to be queryable."""
    headers = {"X-Auth-Token": token, "Content-Type": "application/json"}
    start_ms = int(time.time() * 1000) - count      # one point a millisecond, all in the past
    accepted, failures, crashed_at, resumed_at = 0, 0, None, None
    for first in range(0, count, batch):
        if crashed_at is None and first >= count * crash_after:
            crash(f"monasca-{service}-1")
            crashed_at = time.monotonic()
        body = [{"name": name, "dimensions": {"fault": service}, "timestamp": start_ms + i,
                 "value": float(i)} for i in range(first, min(first + batch, count))]
        failed_here = _post_until_accepted(api_url, headers, body)
        failures += failed_here
        if failed_here and crashed_at is not None and resumed_at is None:
            resumed_at = time.monotonic()
        accepted += len(body)
        time.sleep(batch / rate)
    queryable = _wait_queryable(api_url, headers, name, start_ms, accepted, settle)
    resumed = (resumed_at - crashed_at) if resumed_at else 0.0
    return Outcome(service, count, accepted, queryable, failures, resumed, time.monotonic() - crashed_at)


def _post_until_accepted(api_url, headers, body, give_up=300) -> int:
    """POST until 2xx; the number of attempts that failed."""
    deadline, failed = time.monotonic() + give_up, 0
    while True:
        try:
            response = requests.post(f"{api_url}/metrics", json=body, headers=headers, timeout=30)
            if response.ok:
                return failed
            if 400 <= response.status_code < 500 and response.status_code not in (401, 408, 429):
                raise AssertionError(f"the API refused a valid batch: {response.status_code} {response.text}")
        except requests.RequestException:
            pass
        failed += 1
        if time.monotonic() > deadline:
            raise AssertionError(f"the API did not accept a batch again within {give_up}s")
        time.sleep(0.5)


def _wait_queryable(api_url, headers, name, start_ms, expected, settle) -> int:
    deadline, found = time.monotonic() + settle, -1
    while time.monotonic() < deadline:
        found = _count_points(api_url, headers, name, start_ms)
        if found >= expected:
            return found
        time.sleep(3)
    return found


def _count_points(api_url, headers, name, start_ms) -> int:
    params = {"name": name, "merge_metrics": "true", "limit": 10000,
              "start_time": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(start_ms / 1000 - 1))}
    try:
        response = requests.get(f"{api_url}/metrics/measurements", params=params, headers=headers, timeout=30)
    except requests.RequestException:
        return -1
    if not response.ok:
        return -1
    return sum(len(series["measurements"]) for series in response.json().get("elements", []))

