"""monasca/api: required variables and dependencies it waits for at start; ingest against real
Kafka, InfluxDB, MariaDB and Keystone (acknowledged publishing, body limit, refused poison)."""

import json
import time
import uuid

import pytest

from tests.image.ingest import (INFLUX_PASSWORDS, KEYSTONE_PASSWORDS, assert_refused_unread, env_args, post,
                                published, raw_request, start_kafka_again, token as keystone_token, topic_messages)
from tests.image import built_image
from tests.support import MYSQL_PASSWORDS, build, docker, wait_healthy

PASSWORDS = {"MYSQL_PASSWORD": "my-secret-1", "INFLUX_PASSWORD": "influx-secret-2",
             "KEYSTONE_SERVICE_PASSWORD": "keystone-secret-3"}


api_image = built_image("api")


def run(image, env):
    args = [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]
    return docker("run", "--rm", *args, image, check=False, timeout=120)


def test_missing_password_stops_the_start_and_names_it(api_image):
    result = run(api_image, {k: v for k, v in PASSWORDS.items() if k != "MYSQL_PASSWORD"})
    assert result.returncode != 0
    assert "MYSQL_PASSWORD is required" in result.stderr


def test_a_dependency_that_never_comes_is_named_and_no_password_shown(api_image):
    result = run(api_image, {**PASSWORDS, "MONASCA_WAIT_TIMEOUT": "3", "KAFKA_URI": "127.0.0.1:1"})
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "kafka://127.0.0.1:1/metrics,alarm-state-transitions" in output
    assert "mysql://monapi:${MYSQL_PASSWORD}@mysql:3306/mon: cannot resolve host name" in output
    for secret in PASSWORDS.values():
        assert secret not in output


def test_typed_boolean_turns_off_mysql(api_image):
    result = run(api_image, {**PASSWORDS, "API_MYSQL_DISABLED": "false", "MONASCA_WAIT_TIMEOUT": "1"})
    assert "mysql://" in result.stdout + result.stderr
    result = run(api_image, {**PASSWORDS, "API_MYSQL_DISABLED": "true", "MONASCA_WAIT_TIMEOUT": "1"})
    assert "mysql://" not in result.stdout + result.stderr


# --- ingest against real Kafka, InfluxDB, MariaDB and Keystone ---------------

PUBLISH_TIMEOUT = 3
BODY_LIMIT = 65536


@pytest.fixture(scope="module")
def api(api_image, ingest_deps):
    """The API on the ingest network with a 3 s publish bound and a 64 KiB body limit; yields its address."""
    name = f"ingest-test-api-{uuid.uuid4().hex[:8]}"
    env = {"MYSQL_PASSWORD": MYSQL_PASSWORDS["API_PASSWORD"], "INFLUX_PASSWORD": INFLUX_PASSWORDS["API_PASSWORD"],
           "KEYSTONE_SERVICE_PASSWORD": KEYSTONE_PASSWORDS["MONASCA_API_SERVICE_PASSWORD"], "GUNICORN_WORKERS": "2",
           "GUNICORN_TIMEOUT": "60", "KAFKA_PUBLISH_TIMEOUT": str(PUBLISH_TIMEOUT), "MAX_BODY_SIZE": str(BODY_LIMIT)}
    docker("run", "-d", "--name", name, "--network", ingest_deps["network"], "--health-interval", "2s",
           "-p", "127.0.0.1::8070", *env_args(env), api_image)
    try:
        wait_healthy(name, timeout=180)
        yield published(name, 8070)
    finally:
        docker("rm", "-f", "-v", name, check=False)


@pytest.fixture(scope="module")
def token(ingest_deps):
    return keystone_token(ingest_deps["keystone_url"])


def metric(name, **fields):
    return {"name": name, "dimensions": {"hostname": "h1"}, "timestamp": time.time() * 1000, "value": 1.0,
            **fields}


def test_a_post_is_204_and_its_metric_is_on_the_topic(api, token, ingest_deps):
    name = f"ingest.ok.{uuid.uuid4().hex[:8]}"
    status, body, _ = post(f"http://{api}/v2.0/metrics", token, [metric(name), metric(name, value_meta={
        "msg": "tabs\tand\nline breaks are fine"})])
    assert status == 204, body
    assert len(topic_messages(ingest_deps["network"], "metrics", name)) == 2


POISON = [
    ({"timestamp": 1e20}, "is after 2262-04-11T23:47:16.854Z, the latest InfluxDB can store"),
    ({"timestamp": 9223372036855}, "the latest InfluxDB can store"),
    ({"timestamp": -1}, "is before 1970-01-01"),
    ({"name": "bad\x00name"}, "control character in the name"),
    ({"dimensions": {"host\x1f": "h"}}, "control character in dimension 'host\\x1f'"),
    ({"dimensions": {"host": "h\x00"}}, "control character in dimension 'host'"),
    ({"value_meta": {"k\x00": "v"}}, "control character in value_meta 'k\\x00'"),
    ({"value_meta": {"k": "v\x00"}}, "control character in value_meta 'k'"),
    ({"dimensions": {f"d{n}": "v" for n in range(51)}}, "51 dimensions, more than 50 (MAX_DIMENSIONS)"),
]


def test_poison_gets_422_naming_the_problem_and_nothing_of_its_batch_is_published(api, token, ingest_deps):
    prefix = f"ingest.poison.{uuid.uuid4().hex[:8]}"
    for n, (fields, message) in enumerate(POISON):
        fields = dict(fields)
        name = fields.pop("name", f"{prefix}.{n}")
        good = metric(f"{prefix}.good{n}")
        status, body, _ = post(f"http://{api}/v2.0/metrics", token, [good, metric(name, **fields)])
        assert status == 422, (fields, body)
        assert message in json.loads(body)["description"], body
    # The batch is refused whole: not even its good metric reached Kafka.
    assert topic_messages(ingest_deps["network"], "metrics", prefix) == []


@pytest.mark.parametrize("path", ["/v2.0/metrics", "/v2.0/alarm-definitions"])
def test_a_body_nested_past_pythons_parser_gets_400_and_the_api_goes_on(api, token, ingest_deps, path):
    """#21: 60,000 nested `[` (under the body limit) got 500 from the JSON parser's recursion."""
    status, body, _ = post(f"http://{api}{path}", token, b"[" * 60_000)
    assert status == 400 and "more than 100 deep" in json.loads(body)["description"], body
    name = f"ingest.after-deep.{uuid.uuid4().hex[:8]}"
    assert post(f"http://{api}/v2.0/metrics", token, [metric(name)])[0] == 204
    assert len(topic_messages(ingest_deps["network"], "metrics", name)) == 1


def test_a_body_over_the_limit_gets_413_without_being_read(api, token):
    assert_refused_unread(api, "/v2.0/metrics", token, BODY_LIMIT)


def test_a_chunked_body_under_the_limit_is_accepted(api, token, ingest_deps):
    name = f"ingest.chunked.{uuid.uuid4().hex[:8]}"
    body = json.dumps([metric(name, dimensions={"n": str(n)}) for n in range(100)]).encode()
    assert len(body) < BODY_LIMIT
    head = (f"POST /v2.0/metrics HTTP/1.1\r\nHost: {api}\r\nX-Auth-Token: {token}\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
    parts = [b"%x\r\n%s\r\n" % (len(body[i:i + 4000]), body[i:i + 4000]) for i in range(0, len(body), 4000)]
    status, text, _ = raw_request(api, head, parts + [b"0\r\n\r\n"])
    assert status == 204, text
    assert len(topic_messages(ingest_deps["network"], "metrics", name)) == 100


def test_kafka_down_gets_503_within_the_bound_and_nothing_answered_2xx_is_lost(api, token, ingest_deps):
    name = f"ingest.outage.{uuid.uuid4().hex[:8]}"
    batch = [metric(name, dimensions={"n": str(n)}) for n in range(100)]
    docker("stop", ingest_deps["kafka"])
    try:
        for _ in range(3):
            status, body, seconds = post(f"http://{api}/v2.0/metrics", token, batch)
            assert status == 503, body
            assert "Kafka did not acknowledge 100 of 100 messages to topic metrics" in body
            assert seconds < PUBLISH_TIMEOUT + 2
    finally:
        start_kafka_again(ingest_deps["kafka"])
    # The client's retry: answered 204 once the producer has reconnected, and
    # every metric of the batch is on the topic.
    deadline = time.monotonic() + 60
    while (status := post(f"http://{api}/v2.0/metrics", token, batch)[0]) != 204 and time.monotonic() < deadline:
        assert status == 503
        time.sleep(1)
    assert status == 204
    on_topic = topic_messages(ingest_deps["network"], "metrics", name)
    assert {json.loads(m)["metric"]["dimensions"]["n"] for m in on_topic} == {str(n) for n in range(100)}
