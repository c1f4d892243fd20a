#!/usr/bin/env python3
"""Ingest throughput the API accepts with acknowledged publishing (the
image's default) against fire-and-forget (KAFKA_IS_ASYNC=true), 2 and 4
clients posting batches of 100 metrics, in one run against the running
stack; then the memory of the stack's api and log-api at rest.

Two extra API containers, one per mode, join the stack's network with the
stack API's own settings (2 workers), so both modes meet the same Kafka and
Keystone; they are removed at the end. Needs the stack up and healthy:

    flock /tmp/monasca-stack.lock .venv/bin/python benchmarks/ingest.py
"""
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests
from keystoneauth1 import session
from keystoneauth1.identity import v3

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
from monasca_docker import stack  # noqa: E402

SECONDS, PER_BATCH = 20, 100
API = f"{stack.PROJECT}-api-1"


def docker(*args):
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=True).stdout.strip()


def start_api(mode, is_async):
    """An API like the stack's, with KAFKA_IS_ASYNC set; returns (container, base URL)."""
    env = json.loads(docker("inspect", "-f", "{{json .Config.Env}}", API))
    network = docker("inspect", "-f", "{{range $name, $_ := .NetworkSettings.Networks}}{{$name}}{{end}}", API)
    name = f"bench-ingest-{mode}-{uuid.uuid4().hex[:6]}"
    # The settings hold passwords: an env file (0600, removed at once), not the command line.
    with tempfile.NamedTemporaryFile("w", suffix=".env") as env_file:
        env_file.write("\n".join(item for item in env if not item.startswith(("PATH=", "KAFKA_IS_ASYNC="))))
        env_file.write(f"\nKAFKA_IS_ASYNC={str(is_async).lower()}\n")
        env_file.flush()
        docker("run", "-d", "--name", name, "--network", network, "--health-interval", "2s",
               "-p", "127.0.0.1::8070", "--env-file", env_file.name, "monasca/api:latest")
    deadline = time.monotonic() + 180
    while docker("inspect", "-f", "{{.State.Health.Status}}", name) != "healthy":
        if time.monotonic() > deadline:
            raise SystemExit(f"{name} did not become healthy:\n{docker('logs', name)}")
        time.sleep(1)
    return name, f"http://{docker('port', name, '8070').splitlines()[0]}/v2.0"


def client(url, token, seconds, results):
    """Post batches of PER_BATCH metrics for `seconds`; put (metrics accepted, requests refused)."""
    http = requests.Session()
    headers = {"X-Auth-Token": token, "Content-Type": "application/json"}
    accepted = refused = 0
    run = uuid.uuid4().hex[:8]
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        now = time.time() * 1000
        body = json.dumps([{"name": "bench.acks", "dimensions": {"run": run, "n": str(i % 10)},
                            "timestamp": now, "value": float(i)} for i in range(PER_BATCH)])
        if http.post(f"{url}/metrics", data=body, headers=headers, timeout=60).status_code == 204:
            accepted += PER_BATCH
        else:
            refused += 1
    results.put((accepted, refused))


def throughput(url, token, clients, seconds=SECONDS):
    results = multiprocessing.Queue()
    workers = [multiprocessing.Process(target=client, args=(url, token, seconds, results)) for _ in range(clients)]
    for worker in workers:
        worker.start()
    totals = [results.get() for _ in workers]
    for worker in workers:
        worker.join()
    return sum(a for a, _ in totals) / seconds, sum(r for _, r in totals)


def memory_mib(container):
    usage = docker("stats", "--no-stream", "--format", "{{.MemUsage}}", container).split("/")[0].strip()
    return float(usage[:-3]) * {"KiB": 1 / 1024, "MiB": 1, "GiB": 1024}[usage[-3:]]


def main():
    env = stack.env_values(ROOT)
    urls = stack.endpoints(env)
    auth = v3.Password(auth_url=urls["keystone"], username="mini-mon", password=env["MONASCA_USER_PASSWORD"],
                       project_name="mini-mon", user_domain_name="Default", project_domain_name="Default")
    token = session.Session(auth=auth).get_token()
    started = []
    try:
        apis = {}
        for mode, is_async in (("acked", False), ("fire-and-forget", True)):
            name, url = start_api(mode, is_async)
            started.append(name)
            apis[mode] = url
        # The host's load, which these figures depend on (other jobs on a shared machine).
        print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        for clients in (2, 4):
            for mode, url in apis.items():
                throughput(url, token, clients, seconds=3)  # warm-up: tokens cached, producers connected
                rate, refused = throughput(url, token, clients)
                print(f"ingest accepted, {mode:15} {clients} clients, batches of {PER_BATCH}: "
                      f"{rate:,.0f} metrics/s ({refused} requests refused)")
        print(f"load average after: {os.getloadavg()[0]:.1f}")
    finally:
        for name in started:
            subprocess.run(["docker", "rm", "-f", "-v", name], capture_output=True)
    time.sleep(10)
    for service in ("api", "log-api"):
        container = f"{stack.PROJECT}-{service}-1"
        print(f"memory at rest, {service}: {memory_mib(container):.0f} MiB (processes, PSS: "
              f"{processes(container)})")


# Each process's proportional share (PSS) of memory: a page shared by the
# gunicorn master and its workers counts once in total, split between them.
PSS = ("import glob, os\n"
       "procs = {}\n"
       "for d in glob.glob('/proc/[0-9]*'):\n"
       "    try:\n"
       "        if 'gunicorn' in open(d + '/cmdline').read() and int(d[6:]) != os.getpid():\n"
       "            pss = [l for l in open(d + '/smaps_rollup') if l.startswith('Pss:')][0].split()[1]\n"
       "            procs[d[6:]] = (open(d + '/stat').read().rsplit(')', 1)[1].split()[1], int(pss) // 1024)\n"
       "    except (OSError, IndexError):\n"
       "        pass\n"
       "for pid, (ppid, mib) in sorted(procs.items()):\n"
       "    print('worker' if ppid in procs else 'master', mib)\n")


def processes(container):
    lines = docker("exec", container, "python3", "-c", PSS).splitlines()
    return ", ".join(f"{name} {mib} MiB" for name, mib in (line.rsplit(" ", 1) for line in lines) if mib != "0")


if __name__ == "__main__":
    main()
