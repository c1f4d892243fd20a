#!/usr/bin/env python3
"""Figures for the persister (monasca/persister): latency, throughput, the commit race.

    .venv/bin/python benchmarks/persister.py [latency|throughput|commit-race|all]

latency and throughput need the stack up and healthy (`monasca-docker up`);
run them under `flock /tmp/monasca-stack.lock`. The measurements they post
stay in InfluxDB under `bench.persister.*` names.

latency
    POST-to-queryable: 20 samples, one at a time, each a single metric
    POSTed to the API as mini-mon and then read back through the API
    (`/metrics/measurements`, polled every 50 ms). At one metric at a time
    no batch fills up, so this is the persister's batch timer
    (KAFKA_METRICS_WAIT_TIME) plus the API, Kafka and InfluxDB.
    Goal: median under 2 s.

throughput
    The persister's drain rate: the stack's persister is paused, 200,000
    envelopes (contract 2.2, tenantId = mini-mon's project) are produced
    straight onto Kafka's `metrics` topic, the persister is unpaused, and the
    count of the points through the API (`/metrics/statistics`, count) is
    read every second. Rate = points between 10% and 90% of the total over
    the time between (so the group's rejoin after the pause does not count).

commit-race
    Needs no stack: a Kafka container of its own. A consumer with
    monasca-common 3.8.0's configuration (the one upstream's persister
    uses) reads 20,000 messages and, after each 100 ("a batch written"),
    calls `commit()` as upstream does (no offsets, asynchronous). The
    offsets Kafka acknowledges (on_commit) are compared with the offset
    after the last written message: a commit past it is what a kill turns
    into lost metrics. Five runs, each on a new topic and group; then the
    same with explicit offsets (monasca/persister's loop) for comparison.
"""
import json
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
from monasca_docker import stack  # noqa: E402

PERSISTER = f"{stack.PROJECT}-persister-1"
NETWORK = f"{stack.PROJECT}_default"
BASE_IMAGE = "monasca/base:latest"
LATENCY_SAMPLES, THROUGHPUT_POINTS, RACE_RUNS = 20, 200_000, 5


def docker(*args, check=True, **kwargs):
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check, **kwargs)


def api_session():
    """(API URL, headers with mini-mon's token, mini-mon's project id)."""
    from keystoneauth1 import session
    from keystoneauth1.identity import v3
    env = stack.env_values(ROOT)
    urls = stack.endpoints(env)
    auth = v3.Password(auth_url=urls["keystone"], username="mini-mon", password=env["MONASCA_USER_PASSWORD"],
                       project_name="mini-mon", user_domain_name="Default", project_domain_name="Default")
    sess = session.Session(auth=auth)
    return urls["api"], {"X-Auth-Token": sess.get_token()}, sess.get_project_id()


def latency():
    api, headers, _ = api_session()
    run, samples = uuid.uuid4().hex[:8], []
    for sample in range(LATENCY_SAMPLES):
        dimensions = {"run": run, "sample": str(sample)}
        start = time.monotonic()
        requests.post(f"{api}/metrics", headers=headers, timeout=30, json={
            "name": "bench.persister.latency", "dimensions": dimensions,
            "timestamp": int(time.time() * 1000), "value": 1.0}).raise_for_status()
        while True:
            answer = requests.get(f"{api}/metrics/measurements", headers=headers, timeout=30, params={
                "name": "bench.persister.latency", "dimensions": f"run:{run},sample:{sample}",
                "start_time": "2000-01-01T00:00:00Z"})
            if answer.json().get("elements"):
                break
            if time.monotonic() - start > 60:
                raise TimeoutError(f"sample {sample} not queryable after 60 s")
            time.sleep(0.05)
        samples.append(time.monotonic() - start)
        time.sleep(0.5)
    print(f"latency POST to queryable: median {statistics.median(samples):.2f} s, "
          f"max {max(samples):.2f} s, n={len(samples)}")


PRODUCE = """
import json, os, sys, time
from kafka import KafkaProducer
producer = KafkaProducer(bootstrap_servers="kafka:9092", acks="all", linger_ms=50, batch_size=262144)
name, run, tenant, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
now = int(time.time() * 1000)
for n in range(count):
    metric = {"name": name, "dimensions": {"run": run, "host": "h%d" % (n % 100)}, "timestamp": now - n,
              "value": float(n)}
    producer.send("metrics", json.dumps({"metric": metric, "meta": {"tenantId": tenant, "region": "RegionOne"},
                                         "creation_time": now // 1000}).encode())
producer.flush()
"""


def throughput():
    api, headers, tenant = api_session()
    run, name = uuid.uuid4().hex[:8], "bench.persister.throughput"

    def stored():
        answer = requests.get(f"{api}/metrics/statistics", headers=headers, timeout=60, params={
            "name": name, "dimensions": f"run:{run}", "statistics": "count", "merge_metrics": "true",
            "start_time": "2000-01-01T00:00:00Z", "period": 10 ** 9})
        elements = answer.json().get("elements", [])
        return int(sum(row[1] for element in elements for row in element["statistics"]))

    docker("pause", PERSISTER)
    try:
        docker("run", "--rm", "--network", NETWORK, "--entrypoint", "python3", BASE_IMAGE, "-c", PRODUCE,
               name, run, tenant, str(THROUGHPUT_POINTS), timeout=600)
    finally:
        docker("unpause", PERSISTER)
    low, high, marks, start = THROUGHPUT_POINTS // 10, THROUGHPUT_POINTS * 9 // 10, {}, time.monotonic()
    while (count := stored()) < THROUGHPUT_POINTS:
        for mark in (low, high):
            if count >= mark and mark not in marks:
                marks[mark] = time.monotonic()
        if time.monotonic() - start > 600:
            raise TimeoutError(f"{count} of {THROUGHPUT_POINTS} stored after 600 s")
        time.sleep(1)
    marks.setdefault(low, time.monotonic())
    marks.setdefault(high, time.monotonic())
    rate = (high - low) / max(marks[high] - marks[low], 1.0)
    print(f"persister throughput: {rate:.0f} points/s (from 10% to 90% of {THROUGHPUT_POINTS} queued), "
          f"all {THROUGHPUT_POINTS} queryable {time.monotonic() - start:.0f} s after the unpause")


RACE = """
import sys
import confluent_kafka as ck
from kafka import KafkaProducer
topic, explicit = sys.argv[1], sys.argv[2] == "explicit"
producer = KafkaProducer(bootstrap_servers="kafka:9092", linger_ms=20)
for _ in range(20000):
    producer.send(topic, b"x")
producer.flush()
commits = []
consumer = ck.Consumer({"bootstrap.servers": "kafka:9092", "group.id": topic, "session.timeout.ms": 10000,
                        "fetch.min.bytes": 1048576, "enable.auto.commit": False,
                        "default.topic.config": {"auto.offset.reset": "earliest"},
                        "on_commit": lambda error, partitions: commits.append(partitions[0].offset)})
consumer.subscribe([topic])
written, expected = 0, []
while written < 19000:
    message = consumer.poll(5)
    if message is None or message.error():
        continue
    written += 1
    if written % 100 == 0:
        expected.append(message.offset() + 1)
        if explicit:
            consumer.commit(offsets=[ck.TopicPartition(topic, 0, message.offset() + 1)], asynchronous=True)
        else:
            consumer.commit()
consumer.poll(1)
consumer.poll(1)
ahead = [(want, got) for want, got in zip(expected, commits) if got > want]
print(len(expected), len(ahead), max((got - want for want, got in ahead), default=0))
"""


def commit_race():
    suffix = uuid.uuid4().hex[:8]
    network, kafka = f"bench-race-{suffix}", f"bench-race-kafka-{suffix}"
    docker("network", "create", network)
    try:
        docker("run", "-d", "--name", kafka, "--network", network, "--network-alias", "kafka",
               "--health-interval", "2s", "-e", "KAFKA_HEAP_OPTS=-Xmx512M -Xms256M", "monasca/kafka:latest")
        deadline = time.monotonic() + 120
        while docker("inspect", "-f", "{{.State.Health.Status}}", kafka).stdout.strip() != "healthy":
            if time.monotonic() > deadline:
                raise TimeoutError("Kafka not healthy in 120 s")
            time.sleep(2)
        for how in ("upstream", "explicit"):
            commits = ahead = most = 0
            for run in range(RACE_RUNS):  # a race: each run on a new topic and group
                out = docker("run", "--rm", "--network", network, "--entrypoint", "python3",
                             "monasca/persister:latest", "-c", RACE, f"race-{how}-{run}", how,
                             timeout=300).stdout.split()
                commits, ahead, most = commits + int(out[0]), ahead + int(out[1]), max(most, int(out[2]))
            label = ("commit() as upstream (stored offsets, async)" if how == "upstream"
                     else "commit(offsets=written) as monasca/persister")
            print(f"commit race, {label}: {ahead} of {commits} commits past the last written message "
                  f"(by up to {most} messages)")
    finally:
        docker("rm", "-f", "-v", kafka, check=False)
        docker("network", "rm", network, check=False)


PARTS = {"latency": latency, "throughput": throughput, "commit-race": commit_race}


def main(argv):
    chosen = argv[1] if len(argv) > 1 else "all"
    if chosen not in (*PARTS, "all"):
        print(__doc__.split("\n\n")[1])
        return 2
    for name in PARTS if chosen == "all" else [chosen]:
        PARTS[name]()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
