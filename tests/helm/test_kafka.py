"""deploy/helm/monasca: Kafka as kafka.replicas KRaft nodes, and the topics job
replicating as many times as the brokers allow (rendered offline)."""
import pytest
import yaml

from ..support import ROOT
from .conftest import render

IMAGE_DEFAULTS = yaml.safe_load((ROOT / "images/kafka/templates/defaults.yml").read_text())["defaults"]


def kafka_objects(objects):
    return {obj["kind"]: obj for obj in objects if obj["metadata"]["labels"]["app.kubernetes.io/component"] == "kafka"}


def env(container):
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


def topics_job_env(objects):
    job = next(obj for obj in objects if obj["kind"] == "Job" and obj["metadata"]["name"].startswith("rel-monasca-kafka-init"))
    return env(job["spec"]["template"]["spec"]["containers"][0])


def test_three_brokers_form_one_quorum_by_their_stable_names(tools):
    _, objects = render(tools)
    kafka = kafka_objects(objects)
    service, statefulset = kafka["Service"], kafka["StatefulSet"]
    assert service["spec"]["clusterIP"] == "None" and service["spec"]["publishNotReadyAddresses"]
    assert {p["port"] for p in service["spec"]["ports"]} == {9092, 9093}
    spec = statefulset["spec"]
    assert spec["replicas"] == 3 and spec["serviceName"] == "rel-monasca-kafka"
    # a pod is ready only with a quorum: ordered start would wait forever for pod 0
    assert spec["podManagementPolicy"] == "Parallel"
    assert [claim["metadata"]["name"] for claim in spec["volumeClaimTemplates"]] == ["data"]
    broker = env(spec["template"]["spec"]["containers"][0])
    assert broker["KAFKA_BROKER_ID"] == {"fieldRef": {"fieldPath": "metadata.labels['apps.kubernetes.io/pod-index']"}}
    assert broker["KAFKA_ADVERTISED_HOST_NAME"] == "$(POD_NAME).rel-monasca-kafka.mon.svc"
    assert broker["KAFKA_CONTROLLER_QUORUM_VOTERS"] == ",".join(
        f"{i}@rel-monasca-kafka-{i}.rel-monasca-kafka.mon.svc:9093" for i in range(3))
    assert (broker["KAFKA_REPLICATION_FACTOR"], broker["KAFKA_MIN_INSYNC_REPLICAS"]) == ("3", "2")
    # patient voters on shared nodes (Kafka's 2 s and 1 s make election storms there)
    assert (broker["KAFKA_QUORUM_FETCH_TIMEOUT_MS"], broker["KAFKA_QUORUM_ELECTION_TIMEOUT_MS"]) == ("10000", "5000")
    # every variable the chart sets is one the image reads
    assert set(broker) - {"POD_NAME"} <= set(IMAGE_DEFAULTS)


def test_brokers_spread_over_nodes_and_a_drain_takes_one_at_a_time(tools):
    _, objects = render(tools)
    kafka = kafka_objects(objects)
    term, = kafka["StatefulSet"]["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"][
        "preferredDuringSchedulingIgnoredDuringExecution"]
    assert term["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"
    assert term["podAffinityTerm"]["labelSelector"]["matchLabels"] == \
        kafka["StatefulSet"]["spec"]["selector"]["matchLabels"]
    budget = kafka["PodDisruptionBudget"]["spec"]
    assert budget["maxUnavailable"] == 1
    assert budget["selector"] == kafka["StatefulSet"]["spec"]["selector"]


def test_topics_job_makes_the_image_topics_replicated_three_times(tools):
    _, objects = render(tools)
    job = topics_job_env(objects)
    wanted = {t.split(":")[0]: int(t.split(":")[1]) for t in IMAGE_DEFAULTS["KAFKA_CREATE_TOPICS"]}
    made = {name: (int(partitions), int(replicas))
            for name, partitions, replicas in (t.split(":") for t in job["KAFKA_CREATE_TOPICS"].split(","))}
    assert made == {name: (partitions, 3) for name, partitions in wanted.items()}
    assert job["KAFKA_TOPIC_CONFIG"] == "min.insync.replicas=2"


@pytest.mark.parametrize("replicas, replication, min_insync", [(1, 1, 1), (2, 2, 1), (5, 3, 2)])
def test_replication_follows_the_broker_count(tools, replicas, replication, min_insync):
    _, objects = render(tools, f"kafka.replicas={replicas}", "jobs.kafkaInit.topics.metrics=128")
    kafka = kafka_objects(objects)
    broker = env(kafka["StatefulSet"]["spec"]["template"]["spec"]["containers"][0])
    assert len(broker["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(",")) == replicas
    assert (broker["KAFKA_REPLICATION_FACTOR"], broker["KAFKA_MIN_INSYNC_REPLICAS"]) == \
        (str(replication), str(min_insync))
    job = topics_job_env(objects)
    assert f"metrics:128:{replication}" in job["KAFKA_CREATE_TOPICS"].split(",")
    assert job["KAFKA_TOPIC_CONFIG"] == f"min.insync.replicas={min_insync}"
    # one broker has no other to fail over to: no budget that would block a drain
    assert ("PodDisruptionBudget" in kafka) == (replicas > 1)


def test_an_external_kafka_gets_topics_replicated_for_its_broker_count(tools):
    _, objects = render(tools, "kafka.enabled=false", "kafka.external.uri=k1.example:9092\\,k2.example:9092",
                        "kafka.replicas=2")
    assert kafka_objects(objects) == {}
    job = topics_job_env(objects)
    assert job["KAFKA_URI"] == "k1.example:9092,k2.example:9092"
    assert all(t.endswith(":2") for t in job["KAFKA_CREATE_TOPICS"].split(","))
