#!/usr/bin/env python3
"""Backup and restore of a filled stack: the time of each, the archive's
size, the ingest rate the API kept while the backup ran, and every count
before the backup and after the restore.

1. Fill: POINTS metric points (1,000 series), LOGS logs and DEFINITIONS
   alarm definitions, through the API and the log API; wait until InfluxDB
   and OpenSearch hold them all.
2. Ingest alone: two clients post batches of 100 metrics for 20 s.
3. `monasca-docker backup` while the same two clients post; its time, size,
   and the rate they kept.
4. `down --volumes`, `up`, `monasca-docker restore`: its time; the counts again.

Needs the stack up, healthy and empty (after `down --volumes`, `up`); it
ends with the restored stack up. Run it alone on the machine:

    .venv/bin/python benchmarks/backup.py [POINTS LOGS DEFINITIONS]
"""
import json
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

import requests
from keystoneauth1 import session
from keystoneauth1.identity import v3

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
from monasca_docker import backup, stack  # noqa: E402

from disk import points as stored_points  # noqa: E402  (benchmarks/, the script's folder)

SERIES, PER_POST, LOGS_PER_POST = 1000, 1000, 100
CLI = ROOT / ".venv" / "bin" / "monasca-docker"


def load():
    return f"load {os.getloadavg()[0]:.1f}"


def post_points(url, token, worker, workers, points, base):
    """This worker's share of the points: series n gets one a second back from `base`."""
    http = requests.Session()
    headers = {"X-Auth-Token": token, "Content-Type": "application/json"}
    batch = []
    for i in range(worker, points, workers):
        series, age = i % SERIES, i // SERIES
        batch.append({"name": f"bench.backup.m{series % 100}", "dimensions": {"host": f"h{series // 100}"},
                      "timestamp": base - age * 1000, "value": float(i)})
        if len(batch) == PER_POST or i + workers >= points:
            answer = http.post(f"{url}/metrics", data=json.dumps(batch), headers=headers, timeout=120)
            if answer.status_code != 204:
                raise SystemExit(f"the API refused a batch: {answer.status_code} {answer.text[:300]}")
            batch = []


def fill(urls, token, points, logs, definitions):
    started = time.monotonic()
    base = int(time.time() * 1000)
    workers = [multiprocessing.Process(target=post_points, args=(urls["api"], token, n, 4, points, base))
               for n in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    http = requests.Session()
    headers = {"X-Auth-Token": token, "Content-Type": "application/json"}
    for start in range(0, logs, LOGS_PER_POST):
        body = {"dimensions": {"hostname": "bench"},
                "logs": [{"message": f"bench backup log {n} INFO"} for n in range(start, start + LOGS_PER_POST)]}
        assert http.post(f"{urls['log_api']}/logs", json=body, headers=headers, timeout=60).status_code == 204
    for n in range(definitions):
        answer = http.post(f"{urls['api']}/alarm-definitions", headers=headers, timeout=60,
                           json={"name": f"bench-backup-{n}", "expression": f"avg(bench.backup.m{n}) > {n}"})
        assert answer.status_code == 201, answer.text
    print(f"filled in {time.monotonic() - started:.0f} s ({load()}): {points:,} points, {logs:,} logs, "
          f"{definitions} alarm definitions posted")


def keep_posting(url, token, stop, results):
    """Post batches of 100 metrics until `stop`; put (accepted, refused requests, seconds)."""
    http = requests.Session()
    headers = {"X-Auth-Token": token, "Content-Type": "application/json"}
    accepted = refused = 0
    started = time.monotonic()
    while not stop.is_set():
        now = time.time() * 1000
        body = json.dumps([{"name": "bench.ingest_during_backup", "dimensions": {"n": str(i)}, "timestamp": now,
                            "value": 1.0} for i in range(100)])
        try:
            ok = http.post(f"{url}/metrics", data=body, headers=headers, timeout=60).status_code == 204
        except requests.RequestException:
            ok = False
        accepted, refused = accepted + 100 * ok, refused + (not ok)
    results.put((accepted, refused, time.monotonic() - started))


def ingest_while(action, url, token, clients=2):
    """action()'s result, and the metrics/s and refused requests of `clients` posting while it ran."""
    stop, results = multiprocessing.Event(), multiprocessing.Queue()
    workers = [multiprocessing.Process(target=keep_posting, args=(url, token, stop, results))
               for _ in range(clients)]
    for worker in workers:
        worker.start()
    try:
        outcome = action()
    finally:
        stop.set()
        totals = [results.get() for _ in workers]
        for worker in workers:
            worker.join()
    return outcome, sum(t[0] for t in totals) / max(t[2] for t in totals), sum(t[1] for t in totals)


def counts():
    """Points of the benchmark in InfluxDB, logs in OpenSearch, definitions and users in MariaDB."""
    logs = backup.output(ROOT, "opensearch", "python3", "-c", "import urllib.request; print(urllib.request.urlopen("
                         "'http://127.0.0.1:9200/logs-*/_count').read().decode())")
    rows = backup.query_mysql(ROOT, "SELECT COUNT(*) FROM mon.alarm_definition; SELECT COUNT(*) FROM keystone.user")
    return {"points": stored_points(measurements=r"/^bench\.backup\./"), "logs": json.loads(logs[0])["count"],
            "alarm definitions": int(rows[0]), "keystone users": int(rows[1])}


def wait_stored(points, logs, timeout=900):
    deadline = time.monotonic() + timeout
    while (found := counts())["points"] < points or found["logs"] < logs:
        if time.monotonic() > deadline:
            raise SystemExit(f"not all stored after {timeout} s: {found}")
        time.sleep(5)
    return found


def timed(*args, env=None):
    """Seconds and output of monasca-docker; `env` adds variables."""
    started = time.monotonic()
    result = subprocess.run([str(CLI), *args], cwd=ROOT, capture_output=True, text=True,
                            env={**os.environ, **(env or {})})
    if result.returncode != 0:
        raise SystemExit(f"monasca-docker {' '.join(args)} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return time.monotonic() - started, result.stdout


def token_of(values):
    urls = stack.endpoints(values)
    auth = v3.Password(auth_url=urls["keystone"], username="mini-mon", password=values["MONASCA_USER_PASSWORD"],
                       project_name="mini-mon", user_domain_name="Default", project_domain_name="Default")
    return session.Session(auth=auth).get_token()


def main(points=1_000_000, logs=10_000, definitions=100):
    values = stack.env_values(ROOT)
    urls = stack.endpoints(values)
    token = token_of(values)
    print(f"{load()} on {os.cpu_count()} CPUs before")
    fill(urls, token, points, logs, definitions)
    before = wait_stored(points, logs)
    print(f"stored: {before} ({load()})")

    _, rate, refused = ingest_while(lambda: time.sleep(20), urls["api"], token)
    print(f"ingest alone: {rate:,.0f} metrics/s accepted, {refused} requests refused "
          f"(2 clients, batches of 100, 20 s; {load()})")
    archive = ROOT / "build" / "bench-backup.tar"
    archive.unlink(missing_ok=True)
    (seconds, printed), rate, refused = ingest_while(lambda: timed("backup", str(archive)), urls["api"], token)
    print(printed.strip())
    print(f"backup: {seconds:.0f} s, archive {archive.stat().st_size / 1e6:,.1f} MB; ingest meanwhile "
          f"{rate:,.0f} metrics/s accepted, {refused} requests refused ({load()})")

    timed("down", "--volumes")
    timed("up")
    seconds, _ = timed("restore", str(archive))
    print(f"restore: {seconds:.0f} s into a fresh stack ({load()})")
    after = wait_stored(points, logs)
    print(f"after the restore: {after}")
    print("every count equal" if after == before else f"COUNTS DIFFER: before {before}, after {after}")


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:]))
