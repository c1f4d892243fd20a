"""monasca/log-persister and monasca/log-search against real Kafka, OpenSearch, Keystone and the log API.

Logs go in through the real log API (or, for poison, straight onto the topic)
and come out through the search with real tokens of two projects.
"""
import datetime
import json
import re
import time
import urllib.error
import urllib.request
import uuid

import pytest

from tests.image.ingest import KEYSTONE_PASSWORDS, env_args, post, published
from tests.support import build, docker, wait_healthy

PERSISTER, SEARCH = "monasca/log-persister:latest", "monasca/log-search:latest"
SEARCHABLE = 180       # s a log may take from the topic to a search hit on a busy host


@pytest.fixture(scope="module")
def images(base_image):
    build("log-persister", "log-search", "log-api", "opensearch")


def test_persister_wait_names_kafka_and_opensearch(images):
    result = docker("run", "--rm", "-e", "MONASCA_WAIT_TIMEOUT=3", PERSISTER, check=False)
    assert result.returncode != 0
    assert "kafka://kafka:9092/log" in result.stderr
    assert "http://opensearch:9200/_cluster/health" in result.stderr


def test_search_needs_its_password_and_keeps_it_out_of_the_wait(images):
    result = docker("run", "--rm", SEARCH, check=False)
    assert result.returncode != 0 and "KEYSTONE_SERVICE_PASSWORD is required" in result.stderr
    result = docker("run", "--rm", "-e", "KEYSTONE_SERVICE_PASSWORD=s3cr$t", "-e", "MONASCA_WAIT_TIMEOUT=3",
                    SEARCH, check=False)
    assert result.returncode != 0 and "keystone+http://keystone:5000/v3?user=monasca-log-search" in result.stderr
    assert "s3cr$t" not in result.stdout + result.stderr


@pytest.fixture(scope="module")
def stack(images, ingest_deps):
    """OpenSearch, the log API and the search on the ingest network; the persister is each test's."""
    suffix = uuid.uuid4().hex[:8]
    names = {role: f"logs-test-{role}-{suffix}" for role in ("opensearch", "log-api", "log-search")}
    network = ingest_deps["network"]
    try:
        docker("run", "-d", "--name", names["opensearch"], "--network", network, "--network-alias", "opensearch",
               "--health-interval", "2s", "-e", "OPENSEARCH_HEAP=384m", "monasca/opensearch:latest")
        docker("run", "-d", "--name", names["log-api"], "--network", network, "--health-interval", "2s",
               "-p", "127.0.0.1::5607", "-e", "GUNICORN_TIMEOUT=60",
               "-e", f"KEYSTONE_SERVICE_PASSWORD={KEYSTONE_PASSWORDS['MONASCA_LOG_API_SERVICE_PASSWORD']}",
               "monasca/log-api:latest")
        wait_healthy(names["opensearch"], timeout=180)
        docker("run", "-d", "--name", names["log-search"], "--network", network, "--health-interval", "2s",
               "-p", "127.0.0.1::5610",
               "-e", f"KEYSTONE_SERVICE_PASSWORD={KEYSTONE_PASSWORDS['MONASCA_LOG_SEARCH_SERVICE_PASSWORD']}",
               SEARCH)
        wait_healthy(names["log-api"], timeout=180)
        wait_healthy(names["log-search"], timeout=180)
        yield {**ingest_deps, **{key.replace("-", "_"): value for key, value in names.items()},
               "log_api_url": f"http://{published(names['log-api'], 5607)}/v2.0/logs",
               "search_url": f"http://{published(names['log-search'], 5610)}/elasticsearch"}
    finally:
        docker("rm", "-f", "-v", *names.values(), check=False)


def keystone(url, method, path, token, body=None):
    request = urllib.request.Request(f"{url}{path}", method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", "X-Auth-Token": token})
    with urllib.request.urlopen(request, timeout=30) as response:
        text = response.read()
        return response.headers, json.loads(text) if text else None


def scoped_token(url, user, password, project):
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": user, "domain": {"id": "default"}, "password": password}}},
        "scope": {"project": {"name": project, "domain": {"id": "default"}}}}}
    headers, answer = keystone(url, "POST", "/auth/tokens", "", body)
    return headers["X-Subject-Token"], answer["token"]["project"]["id"]


@pytest.fixture(scope="module")
def tenants(stack):
    """Tokens and project ids: mini-mon's, a second project's (monasca-user too) and the admin's."""
    url = stack["keystone_url"]
    admin, _ = scoped_token(url, "admin", KEYSTONE_PASSWORDS["KEYSTONE_ADMIN_PASSWORD"], "admin")
    name = f"logs-b-{uuid.uuid4().hex[:6]}"
    _, project = keystone(url, "POST", "/projects", admin, {"project": {"name": name, "domain_id": "default"}})
    _, user = keystone(url, "POST", "/users", admin, {"user": {"name": name, "password": "b-pw",
                                                               "domain_id": "default"}})
    _, roles = keystone(url, "GET", "/roles?name=monasca-user", admin)
    keystone(url, "PUT", f"/projects/{project['project']['id']}/users/{user['user']['id']}"
                         f"/roles/{roles['roles'][0]['id']}", admin)
    return {"a": scoped_token(url, "mini-mon", KEYSTONE_PASSWORDS["MONASCA_USER_PASSWORD"], "mini-mon"),
            "b": scoped_token(url, name, "b-pw", name),
            "admin": scoped_token(url, "admin", KEYSTONE_PASSWORDS["KEYSTONE_ADMIN_PASSWORD"], "admin")}


def search(stack, token, text, path="/_msearch", index="*"):
    """(status, hits or answer) of the tempest plugin's _msearch for text (or a _search at path)."""
    if path == "/_msearch":
        body = (json.dumps({"index": index}) + "\n" + json.dumps({"query": {"match": {"message": text}}})
                + "\n").encode()
    else:
        body = json.dumps({"query": {"match": {"message": text}}}).encode()
    headers = {"Content-Type": "application/json"}
    if token:
        headers["X-Auth-Token"] = token
    request = urllib.request.Request(stack["search_url"] + path, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            answer = json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    hits = answer["responses"][0] if path == "/_msearch" else answer
    return 200, hits.get("hits", {}).get("hits", [])


def wait_found(stack, token, text, count=1):
    deadline = time.monotonic() + SEARCHABLE
    while True:
        status, hits = search(stack, token, text)
        assert status == 200, hits
        if len(hits) >= count or time.monotonic() > deadline:
            return hits
        time.sleep(1)


def post_log(stack, token, message, **dimensions):
    status, body, _ = post(stack["log_api_url"], token, {"dimensions": dimensions or {"hostname": "h1"},
                                                         "logs": [{"message": message}]})
    assert status == 204, body


@pytest.fixture
def persister(stack):
    """Start (and at the end stop and remove) a log persister, restarted on failure as in the stack; its name."""
    names = []

    def start(*env):
        name = f"logs-test-persister-{uuid.uuid4().hex[:8]}"
        docker("run", "-d", "--name", name, "--network", stack["network"], "--health-interval", "2s",
               "--restart", "on-failure", *[arg for pair in env for arg in ("-e", pair)], PERSISTER)
        names.append(name)
        wait_healthy(name, timeout=180)
        return name
    yield start
    # Stopped first: it leaves the consumer group at once, which the next test's offset reset needs.
    docker("stop", *names, check=False)
    docker("rm", "-f", *names, check=False)


def health(name):
    script = "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:8094/healthcheck').read().decode())"
    return json.loads(docker("exec", name, "python3", "-c", script).stdout)


def test_a_log_posted_while_the_persister_is_stopped_is_found_after_it_starts_and_once(stack, tenants, persister):
    token, project = tenants["a"]
    first = persister()
    docker("stop", first)        # the group now has committed offsets: the next start resumes from them
    assert docker("inspect", "-f", "{{.State.ExitCode}}", first).stdout.strip() == "0"
    marker = f"stopped{uuid.uuid4().hex[:8]}"
    post_log(stack, token, f"{marker} ERROR while the persister was stopped", hostname="h1", service="nova")
    assert search(stack, token, marker) == (200, [])
    persister()
    hits = wait_found(stack, token, marker)
    assert len(hits) == 1, hits
    source = hits[0]["_source"]
    assert source["tenant"] == project and source["hostname"] == "h1" and source["service"] == "nova"
    assert source["log_level"] == "Error"
    assert hits[0]["_index"] == f"logs-{project}-{time.strftime('%Y-%m-%d', time.gmtime())}"


def test_everything_read_again_is_written_once(stack, tenants, persister):
    token, _ = tenants["a"]
    marker = f"again{uuid.uuid4().hex[:8]}"
    post_log(stack, token, marker)
    first = persister()
    assert len(wait_found(stack, token, marker)) == 1
    docker("stop", first)
    # The group reads the whole topic again from its start: the same documents, not copies.
    # (Kafka resets only a group without members; a member that left uncleanly stays a while.
    # A reset the tool made prints a row per partition with its new offset: that, not its exit
    # code alone, says it happened. Taking the exit code, a loaded run once read nothing again.)
    deadline = time.monotonic() + 90
    while not re.search(r"log-persister\s+log\s+\d+\s+\d+", docker(
            "exec", stack["kafka"], "/opt/kafka/bin/kafka-consumer-groups.sh", "--bootstrap-server", "kafka:9092",
            "--group", "log-persister", "--reset-offsets", "--to-earliest", "--topic", "log", "--execute",
            check=False).stdout):
        assert time.monotonic() < deadline, "the log-persister group never became inactive"
        time.sleep(3)
    second = persister()
    deadline = time.monotonic() + SEARCHABLE
    while health(second)["written"] == 0 and time.monotonic() < deadline:
        time.sleep(1)
    time.sleep(3)       # past OpenSearch's 1 s refresh
    assert health(second)["written"] >= 1
    assert len(search(stack, token, marker)[1]) == 1


# Raw messages onto the log topic; prints the [partition, offset] of each.
PRODUCE = """
import json, sys
from kafka import KafkaProducer
producer = KafkaProducer(bootstrap_servers="kafka:9092", acks="all")
futures = [producer.send("log", raw.encode()) for raw in json.load(sys.stdin)]
producer.flush()
print(json.dumps([[future.get().partition, future.get().offset] for future in futures]))
"""


def produce(stack, messages):
    """Put raw messages on the log topic; where each went, as the persister names it (log[P]@O)."""
    result = docker("run", "--rm", "-i", "--network", stack["network"], "--entrypoint", "python3",
                    "monasca/base:latest", "-c", PRODUCE, input=json.dumps(messages), timeout=120)
    return [f"log[{partition}]@{offset}" for partition, offset in json.loads(result.stdout)]


def envelope(project, log):
    return json.dumps({"log": log, "creation_time": int(time.time()), "meta": {"tenantId": project, "region": "r"}})


def test_poison_and_refused_documents_are_skipped_and_the_rest_written(stack, tenants, persister):
    token, project = tenants["a"]
    marker = f"poison{uuid.uuid4().hex[:8]}"

    messages = [envelope(project, {"message": f"{marker} first", "dimensions": {}}), "not json",
                # a field named "" is refused by OpenSearch (mapper_parsing_exception, HTTP 400)
                envelope(project, {"message": f"{marker} refused", "dimensions": {"": "empty name"}}),
                envelope(project, {"message": f"{marker} last", "dimensions": {}})]
    name = persister()
    where = produce(stack, messages)
    hits = wait_found(stack, token, marker, count=2)
    assert sorted(hit["_source"]["message"] for hit in hits) == [f"{marker} first", f"{marker} last"]
    deadline = time.monotonic() + 30
    while health(name)["skipped"] < 2 and time.monotonic() < deadline:
        time.sleep(1)
    logs = docker("logs", name).stderr
    assert f"Skipped {where[1]}: invalid message: not JSON" in logs, logs
    assert f"Skipped {where[2]}: the store refused it: HTTP 400" in logs, logs
    assert health(name)["skipped"] == 2


# One request to OpenSearch from inside its container (it is not published):
# prints the status and the answer.
STORE_REQUEST = """
import sys, urllib.error, urllib.request
method, path, body = sys.argv[1], sys.argv[2], sys.argv[3].encode() if len(sys.argv) > 3 else None
request = urllib.request.Request("http://127.0.0.1:9200" + path, data=body, method=method,
                                 headers={"Content-Type": "application/json"})
try:
    with urllib.request.urlopen(request, timeout=30) as response:
        print(response.status, response.read().decode())
except urllib.error.HTTPError as error:
    print(error.code, error.read().decode())
"""


def store(stack, method, path, body=None):
    result = docker("exec", stack["opensearch"], "python3", "-c", STORE_REQUEST, method, path,
                    *([json.dumps(body)] if body is not None else []), timeout=60)
    status, _, answer = result.stdout.strip().partition(" ")
    return int(status), json.loads(answer)


def test_indices_past_the_log_retention_are_deleted_and_older_logs_skipped(stack, tenants, persister):
    token, project = tenants["a"]
    today = datetime.datetime.now(datetime.timezone.utc).date()

    def index(days_ago):
        return f"logs-{project}-{today - datetime.timedelta(days=days_ago):%Y-%m-%d}"
    # What a stack that ran for weeks holds: a log of 8 days ago, one of 3.
    for days_ago in (8, 3):
        status, answer = store(stack, "PUT", f"/{index(days_ago)}/_doc/aged-{days_ago}?refresh=true",
                               {"message": f"aged {days_ago}", "tenant": project})
        assert status == 201, answer
    name = persister("LOGS_RETENTION_DAYS=7")     # the first check runs before the first poll
    marker = f"retention{uuid.uuid4().hex[:8]}"
    ten_days_ago = time.time() - 10 * 86400
    where = produce(stack, [envelope(project, {"message": f"{marker} old", "timestamp": ten_days_ago}),
                            envelope(project, {"message": f"{marker} new"})])
    assert [hit["_source"]["message"] for hit in wait_found(stack, token, marker)] == [f"{marker} new"]
    logs = docker("logs", name).stderr
    assert f"deleted 1 log indices older than 7 days: {index(8)}" in logs, logs
    assert f"Skipped {where[0]}: older than the log retention (7 days)" in logs, logs
    status, rows = store(stack, "GET", f"/_cat/indices/logs-{project}-*?h=index&format=json")
    names = {row["index"] for row in rows}
    assert index(3) in names and index(0) in names
    assert index(8) not in names and index(10) not in names


def test_a_log_posted_while_the_store_restarts_is_found_afterwards(stack, tenants, persister):
    token, _ = tenants["a"]
    # The default retry (60 s) may run out while OpenSearch restarts: the
    # persister then exits uncommitted and its restart policy brings it back.
    persister()
    docker("stop", stack["opensearch"])
    try:
        marker = f"storedown{uuid.uuid4().hex[:8]}"
        post_log(stack, token, marker)
        time.sleep(5)      # the persister has it in hand and retries
    finally:
        docker("start", stack["opensearch"])
        wait_healthy(stack["opensearch"], timeout=300)     # a JVM start on a busy host
    assert len(wait_found(stack, token, marker)) == 1


def test_a_project_never_sees_another_projects_logs(stack, tenants, persister):
    (token_a, project_a), (token_b, project_b) = tenants["a"], tenants["b"]
    persister()
    marker_a, marker_b = f"mine{uuid.uuid4().hex[:8]}", f"theirs{uuid.uuid4().hex[:8]}"
    post_log(stack, token_a, marker_a)
    post_log(stack, token_b, marker_b)
    admin, _ = tenants["admin"]
    assert len(wait_found(stack, admin, marker_a)) == 1 and len(wait_found(stack, admin, marker_b)) == 1
    for token, own, other in ((token_a, marker_a, marker_b), (token_b, marker_b, marker_a)):
        assert len(search(stack, token, own)[1]) == 1
        for index in ("*", "_all", "logs-*", None):
            assert search(stack, token, other, index=index) == (200, []), index
        assert search(stack, token, other, path="/_search") == (200, [])
    # Naming the other project's indices is refused, not answered empty.
    status, text = search(stack, token_a, marker_b, index=f"logs-{project_b}-*")
    assert status == 403 and f"logs-{project_b}-*" in text
    status, text = search(stack, token_a, marker_b, path=f"/logs-{project_b}-*/_search")
    assert status == 403
    status, text = search(stack, token_a, marker_b, path=f"/logs-{project_a}-*,logs-{project_b}-*/_count")
    assert status == 403


def test_no_token_no_search(stack):
    assert search(stack, None, "anything")[0] == 401
    assert search(stack, "not-a-token", "anything")[0] == 401
    with urllib.request.urlopen(stack["search_url"].replace("/elasticsearch", "/healthcheck"), timeout=30) as answer:
        assert answer.status == 200
