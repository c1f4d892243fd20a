#!/usr/bin/env python3
"""Logs end to end on the running stack: what the log API accepts, how fast
it becomes searchable, the latency from POST to search hit, and the memory
of the store and the persister at rest.

1. Two clients post batches of 100 logs to the log API for 20 s; the logs/s
   accepted is what got 204. The logs/s searchable is all of them divided
   by the time from the first POST until the last one is found through the
   logs search (``_count`` on the run's dimension).
2. Twenty single logs, one after another: the seconds from each POST's
   answer until the search finds it (polled every 0.1 s); median and max.
3. Memory of the opensearch and log-persister containers after 10 s idle,
   and the sizes of the three images.

Needs the stack up and healthy:

    flock /tmp/monasca-stack.lock .venv/bin/python benchmarks/logs.py
"""
import json
import multiprocessing
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

import requests
from keystoneauth1 import session
from keystoneauth1.identity import v3

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
from monasca_docker import stack  # noqa: E402

from ingest import docker, memory_mib  # noqa: E402  (benchmarks/, the script's folder)

SECONDS, PER_BATCH, CLIENTS, SAMPLES = 20, 100, 2, 20
TIMEOUT = 300      # s the whole run may take to become searchable


def client(url, token, run, seconds, results):
    """Post batches of PER_BATCH logs for `seconds`; put (logs accepted, requests refused)."""
    http = requests.Session()
    headers = {"X-Auth-Token": token, "Content-Type": "application/json"}
    accepted = refused = 0
    worker = uuid.uuid4().hex[:6]
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        body = {"dimensions": {"run": run, "hostname": "bench"},
                "logs": [{"message": f"bench {worker} {n} INFO a log line of the benchmark"}
                         for n in range(PER_BATCH)]}
        if http.post(url, data=json.dumps(body), headers=headers, timeout=60).status_code == 204:
            accepted += PER_BATCH
        else:
            refused += 1
    results.put((accepted, refused))


def count(search, token, run):
    answer = requests.post(f"{search}/_count", headers={"X-Auth-Token": token, "Content-Type": "application/json"},
                           data=json.dumps({"query": {"term": {"run": run}}}), timeout=60)
    answer.raise_for_status()
    return answer.json()["count"]


def stream(log_api, search, token):
    run = uuid.uuid4().hex
    results = multiprocessing.Queue()
    workers = [multiprocessing.Process(target=client, args=(log_api, token, run, SECONDS, results))
               for _ in range(CLIENTS)]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    totals = [results.get() for _ in workers]
    for worker in workers:
        worker.join()
    accepted, refused = sum(a for a, _ in totals), sum(r for _, r in totals)
    while (found := count(search, token, run)) < accepted and time.monotonic() - started < TIMEOUT:
        time.sleep(0.5)
    searchable = time.monotonic() - started
    print(f"log API accepted: {accepted / SECONDS:,.0f} logs/s ({CLIENTS} clients, batches of {PER_BATCH}, "
          f"{SECONDS} s, {refused} requests refused)")
    print(f"searchable: {found / searchable:,.0f} logs/s ({found} of {accepted} found "
          f"{searchable - SECONDS:.1f} s after the last POST)")


def latency(log_api, search, token):
    seconds = []
    headers = {"X-Auth-Token": token, "Content-Type": "application/json"}
    for _ in range(SAMPLES):
        run = uuid.uuid4().hex
        body = {"dimensions": {"run": run}, "logs": [{"message": "bench latency probe"}]}
        assert requests.post(log_api, data=json.dumps(body), headers=headers, timeout=60).status_code == 204
        posted = time.monotonic()
        while count(search, token, run) < 1:
            if time.monotonic() - posted > 120:
                raise SystemExit(f"log {run} not searchable after 120 s")
            time.sleep(0.1)
        seconds.append(time.monotonic() - posted)
    print(f"POST to searchable: median {statistics.median(seconds):.2f} s, max {max(seconds):.2f} s "
          f"({SAMPLES} logs one after another)")


def main():
    env = stack.env_values(ROOT)
    urls = stack.endpoints(env)
    host = urls["keystone"].split("//", 1)[1].rsplit(":", 1)[0]
    log_api = f"{urls['log_api']}/logs"
    search = f"http://{host}:{env.get('MONASCA_LOG_SEARCH_PORT', '5610')}/elasticsearch"
    auth = v3.Password(auth_url=urls["keystone"], username="mini-mon", password=env["MONASCA_USER_PASSWORD"],
                       project_name="mini-mon", user_domain_name="Default", project_domain_name="Default")
    token = session.Session(auth=auth).get_token()
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    stream(log_api, search, token)
    latency(log_api, search, token)
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    time.sleep(10)
    for service in ("opensearch", "log-persister", "log-search"):
        print(f"memory at rest, {service}: {memory_mib(f'{stack.PROJECT}-{service}-1'):.0f} MiB")
    for image in ("opensearch", "log-persister", "log-search"):
        size = int(docker("image", "inspect", "-f", "{{.Size}}", f"monasca/{image}:latest"))
        print(f"image size, monasca/{image}: {size / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
