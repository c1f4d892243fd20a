#!/usr/bin/env python3
"""The upgrade from the previous series' components to this series', as a
user runs it: its time, how long the API refused metrics, and whether any
metric it accepted was lost.

1. `down --volumes`, then `up` with MONASCA_COMPONENT_TAG=2023.1 (the
   images `build --series 2023.1` makes; `up` builds what is missing).
2. A client posts one metric every 0.2 s, through to the end.
3. `up` with this series' images on the same volumes.
4. 60 s later: every accepted metric is looked for in the API.

Takes the stack down first and leaves the upgraded stack up. Run it alone:

    .venv/bin/python benchmarks/upgrade.py
"""
import datetime
import json
import multiprocessing
import os
import sys
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
from monasca_docker import stack  # noqa: E402

from backup import timed, token_of  # noqa: E402  (benchmarks/, the script's folder)

PREVIOUS = "2023.1"
EVERY = 0.2


def post(url, token, name, stop, results):
    """One metric every EVERY s until `stop`; put [(timestamp ms, accepted)]."""
    http = requests.Session()
    headers = {"X-Auth-Token": token, "Content-Type": "application/json"}
    outcomes = []
    while not stop.is_set():
        stamp = int(time.time() * 1000)
        try:
            answer = http.post(f"{url}/metrics", headers=headers, timeout=10,
                               data=json.dumps({"name": name, "dimensions": {}, "timestamp": stamp, "value": 1.0}))
            outcomes.append((stamp, answer.status_code == 204))
        except requests.RequestException:
            outcomes.append((stamp, False))
        time.sleep(EVERY)
    results.put(outcomes)


def stored(url, token, name):
    answer = requests.get(f"{url}/metrics/measurements", timeout=60, headers={"X-Auth-Token": token},
                          params={"name": name, "start_time": "2000-01-01T00:00:00Z", "merge_metrics": "true",
                                  "limit": 10000})
    answer.raise_for_status()
    return {int(datetime.datetime.fromisoformat(point[0].replace("Z", "+00:00")).timestamp() * 1000)
            for series in answer.json()["elements"] for point in series["measurements"]}


def longest_refusal(outcomes):
    """Seconds from the first to the last post of the longest run of refused posts."""
    longest, run = 0.0, []
    for stamp, accepted in outcomes:
        run = [] if accepted else run + [stamp]
        if run:
            longest = max(longest, (run[-1] - run[0]) / 1000 + EVERY)
    return longest


def main():
    values = stack.env_values(ROOT)
    url = stack.endpoints(values)["api"]
    print(f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs before")
    timed("down", "--volumes")
    print(f"up with the {PREVIOUS} components: {timed('up', env={'MONASCA_COMPONENT_TAG': PREVIOUS})[0]:.0f} s")
    token = token_of(values)
    name = f"bench.upgrade_{uuid.uuid4().hex[:8]}"
    stop, results = multiprocessing.Event(), multiprocessing.Queue()
    poster = multiprocessing.Process(target=post, args=(url, token, name, stop, results))
    poster.start()
    time.sleep(10)
    print(f"up with this series' images (the upgrade): {timed('up')[0]:.0f} s "
          f"(load {os.getloadavg()[0]:.1f})")
    time.sleep(10)
    stop.set()
    outcomes = results.get()
    poster.join()
    time.sleep(60)        # the persister's batches, after a restart
    accepted = {stamp for stamp, ok in outcomes if ok}
    lost = accepted - stored(url, token, name)
    print(f"posts: {len(outcomes)}, one every {EVERY} s; accepted {len(accepted)}, refused "
          f"{len(outcomes) - len(accepted)}; the longest refusal {longest_refusal(outcomes):.1f} s; "
          f"accepted but not stored: {len(lost)}")


if __name__ == "__main__":
    main()
