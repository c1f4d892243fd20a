"""Faults and poison input against the real stack: nothing accepted is lost,
nothing sent stops the pipeline, and `monasca-docker status` tells the truth."""
import json
import os
import subprocess
import time

import pytest
from keystoneauth1 import exceptions as ks_exceptions

from monasca_docker import stack

from . import faults
from .conftest import CLI, ROOT, docker, eventually, in_network, user_session
from .test_smoke import measurements


def status():
    return subprocess.run([CLI, "status"], cwd=ROOT, capture_output=True, text=True)


def wait_stack_healthy(timeout=300):
    eventually(lambda: status().returncode == 0, timeout, "`monasca-docker status` exiting 0")


def restarts(service):
    return int(docker("inspect", "--format", "{{.RestartCount}}", f"monasca-{service}-1").stdout)


def status_json():
    done = subprocess.run([CLI, "status", "--json"], cwd=ROOT, capture_output=True, text=True)
    return done.returncode, json.loads(done.stdout)


def test_status_names_a_stopped_service_and_exits_1(running_stack):
    wait_stack_healthy()
    code, report = status_json()
    assert (code, report["healthy"]) == (0, True), report
    keys = {"service", "state", "health", "exit_code", "problem"}
    assert all(set(service) == keys for service in report["services"]), report
    docker("stop", "monasca-notification-1")
    try:
        result = status()
        assert result.returncode == 1
        assert "notification: exited" in result.stderr
        code, report = status_json()
        unwell = {service["service"]: service for service in report["services"] if service["problem"]}
        assert (code, report["healthy"], list(unwell)) == (1, False, ["notification"]), report
        assert unwell["notification"]["state"] == "exited", unwell
    finally:
        docker("start", "monasca-notification-1")
    wait_stack_healthy()


def test_up_reports_composes_own_error_not_a_timeout(running_stack):
    # An empty required password: Compose refuses to read the stack's files,
    # so `up` stops at once with Compose's own words instead of waiting.
    result = subprocess.run([CLI, "up"], cwd=ROOT, capture_output=True, text=True,
                            env={**os.environ, "INFLUXDB_ADMIN_PASSWORD": ""})
    assert result.returncode == 1
    assert "required variable INFLUXDB_ADMIN_PASSWORD is missing a value" in result.stderr
    assert "within" not in result.stderr


@pytest.mark.parametrize("service", ["api", "kafka", "persister", "influxdb"])
def test_nothing_accepted_is_lost_when_a_service_crashes(running_stack, keystone_url, unique, service):
    wait_stack_healthy()
    before = restarts(service)
    token = user_session(keystone_url, running_stack["MONASCA_USER_PASSWORD"]).get_token()
    outcome = faults.run(stack.endpoints(running_stack)["api"], token, service, f"faults.{service}_{unique}",
                         count=600)
    print(outcome)
    assert restarts(service) > before, f"{service} was not restarted by its policy"
    assert outcome.accepted == outcome.posted
    assert outcome.queryable == outcome.accepted, str(outcome)
    wait_stack_healthy()


POISON = """
import json, kafka
producer = kafka.KafkaProducer(bootstrap_servers="kafka:9092", acks="all")
bad_time = {"metric": {"name": "poison.timestamp", "dimensions": {}, "timestamp": 1e20, "value": 1.0},
            "meta": {"tenantId": "poison", "region": "useast"}, "creation_time": 0}
for partition in producer.partitions_for("metrics"):
    producer.send("metrics", b"not json", partition=partition)
    producer.send("metrics", json.dumps(bad_time).encode(), partition=partition)
for partition in producer.partitions_for("alarm-state-transitions"):
    producer.send("alarm-state-transitions", b"not json", partition=partition)
    producer.send("alarm-state-transitions", b'{"alarm-transitioned": {}}', partition=partition)
producer.flush()
"""


def test_poison_on_every_partition_does_not_stop_the_pipeline(running_stack, monasca, unique):
    wait_stack_healthy()
    consumers = ("persister", "thresh", "notification")
    before = {service: restarts(service) for service in consumers}
    in_network(POISON)
    name = f"faults.after_poison_{unique}"
    monasca.metrics.create(jsonbody={"name": name, "dimensions": {"run": unique},
                                     "timestamp": int(time.time() * 1000), "value": 3.0})
    eventually(lambda: measurements(monasca, name, run=unique), 120, "a metric persisted after the poison")
    assert {service: restarts(service) for service in consumers} == before
    result = status()
    assert result.returncode == 0, result.stderr


def test_the_api_refuses_a_timestamp_the_store_cannot_hold(monasca):
    with pytest.raises(ks_exceptions.HttpError) as refused:
        monasca.metrics.create(jsonbody={"name": "faults.far_future", "dimensions": {},
                                         "timestamp": 1e20, "value": 1.0})
    assert 400 <= refused.value.http_status < 500
