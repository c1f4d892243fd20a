#!/usr/bin/env python3
"""Figures for the stack: time from `up` to all healthy, memory of the stack at
rest, end-to-end ingest throughput (POST to queryable) and latency.

Run from the checkout with the venv's Python: .venv/bin/python benchmarks/stack.py
It takes the stack down (keeping its data) and up again first.
"""
import statistics
import subprocess
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

CLI = str(Path(sys.executable).parent / "monasca-docker")
BATCHES, PER_BATCH, LATENCY_SAMPLES = 20, 500, 5


def timed(*command):
    start = time.monotonic()
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    return time.monotonic() - start


def memory_mib():
    out = subprocess.run(["docker", "stats", "--no-stream", "--format", "{{.Name}} {{.MemUsage}}"],
                         capture_output=True, text=True, check=True).stdout
    units = {"KiB": 1 / 1024, "MiB": 1, "GiB": 1024}
    total = 0.0
    for line in out.splitlines():
        name, usage = line.split(" ", 1)
        if name.startswith(f"{stack.PROJECT}-"):
            value = usage.split("/")[0].strip()
            number, unit = value[:-3], value[-3:]
            total += float(number) * units[unit]
    return total


def main():
    env = stack.env_values(ROOT)
    timed(CLI, "down")
    print(f"up to all healthy (images built, data kept): {timed(CLI, 'up'):.0f} s")
    time.sleep(30)
    print(f"memory of the stack at rest: {memory_mib():.0f} MiB")

    urls = stack.endpoints(env)
    auth = v3.Password(auth_url=urls["keystone"],
                       username="mini-mon", password=env["MONASCA_USER_PASSWORD"], project_name="mini-mon",
                       user_domain_name="Default", project_domain_name="Default")
    token = session.Session(auth=auth).get_token()
    api = urls["api"]
    headers = {"X-Auth-Token": token}

    def count(name, run):
        answer = requests.get(f"{api}/metrics/measurements", headers=headers, timeout=30, params={
            "name": name, "dimensions": f"run:{run}", "start_time": "2000-01-01T00:00:00Z", "group_by": "*",
            "limit": 10000})
        return sum(len(series["measurements"]) for series in answer.json().get("elements", []))

    run, name = uuid.uuid4().hex[:8], "bench.ingest"
    now = int(time.time() * 1000)
    start = time.monotonic()
    for batch in range(BATCHES):
        body = [{"name": name, "dimensions": {"run": run, "series": str(i % 10)},
                 "timestamp": now - batch * PER_BATCH - i, "value": float(i)} for i in range(PER_BATCH)]
        requests.post(f"{api}/metrics", json=body, headers=headers, timeout=60).raise_for_status()
    posted = time.monotonic() - start
    total = BATCHES * PER_BATCH
    while count(name, run) < total and time.monotonic() - start < 300:
        time.sleep(0.5)
    queryable = time.monotonic() - start
    print(f"ingest: {total} measurements posted in {posted:.1f} s ({total / posted:.0f}/s accepted), "
          f"all queryable after {queryable:.1f} s ({total / queryable:.0f}/s end to end)")

    latencies = []
    for sample in range(LATENCY_SAMPLES):
        one = f"{run}-{sample}"
        start = time.monotonic()
        requests.post(f"{api}/metrics", headers=headers, timeout=30, json={
            "name": "bench.latency", "dimensions": {"run": one}, "timestamp": int(time.time() * 1000),
            "value": 1.0}).raise_for_status()
        while count("bench.latency", one) < 1:
            time.sleep(0.05)
        latencies.append(time.monotonic() - start)
    print(f"latency POST to queryable: median {statistics.median(latencies):.2f} s, "
          f"max {max(latencies):.2f} s over {LATENCY_SAMPLES}")


if __name__ == "__main__":
    main()
