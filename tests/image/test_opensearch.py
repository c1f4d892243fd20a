"""monasca/opensearch: a node that indexes, bulk-writes and searches, keeps its data on the volume, runs as 42400."""
import json
import time
import urllib.error
import urllib.request
import uuid

import pytest

from ..support import free_port
from tests.image import built_image
from tests.support import docker, wait_healthy

IMAGE = "monasca/opensearch:latest"
HEAP = "256m"
# As compose runs it: read-only root, no capability, tmpfs where the image writes.
HARDENED = ["--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges:true",
            "--tmpfs", "/run/monasca:uid=42400,gid=42400,mode=0700",
            "--tmpfs", "/tmp:uid=42400,gid=42400,mode=0700"]
LOGS = [
    {"message": "disk quota exceeded on sda1", "dimensions": {"hostname": "node-1"}, "level": "ERROR"},
    {"message": "user logged in", "dimensions": {"hostname": "node-2"}, "level": "INFO"},
    {"message": "disk almost full on sdb", "dimensions": {"hostname": "node-1"}, "level": "WARN"},
]


opensearch_image = built_image("opensearch")


def start(name, volume, port):
    docker("run", "-d", "--name", name, *HARDENED, "--health-interval", "2s",
           "-v", f"{volume}:/var/lib/monasca/opensearch", "-p", f"127.0.0.1:{port}:9200",
           "-e", f"OPENSEARCH_HEAP={HEAP}", IMAGE)
    wait_healthy(name, timeout=180)


@pytest.fixture(scope="module")
def node(opensearch_image):
    suffix = uuid.uuid4().hex[:8]
    name, volume, port = f"opensearch-test-{suffix}", f"opensearch-test-{suffix}", free_port()
    docker("volume", "create", volume)
    try:
        start(name, volume, port)
        yield {"name": name, "volume": volume, "port": port}
    finally:
        docker("rm", "-f", "-v", name, check=False)
        docker("volume", "rm", "-f", volume, check=False)


def call(node, method, path, body=None, ndjson=False):
    """One HTTP request to the node; returns (status, decoded JSON body).

    body: JSON (a list of lines with ndjson) or a str sent as it is."""
    data, headers = None, {}
    if body is not None:
        if isinstance(body, str):
            data = body.encode()
        elif ndjson:
            data = "".join(json.dumps(line) + "\n" for line in body).encode()
        else:
            data = json.dumps(body).encode()
        headers["Content-Type"] = "application/x-ndjson" if ndjson else "application/json"
    request = urllib.request.Request(f"http://127.0.0.1:{node['port']}{path}", data=data,
                                     headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def messages(result):
    return sorted(hit["_source"]["message"] for hit in result["hits"]["hits"])


def test_plain_http_single_node_no_plugins(node):
    status, info = call(node, "GET", "/")
    assert status == 200 and info["version"]["number"] == "2.19.6", info
    # Only the netty module is loaded: no security plugin asks for credentials.
    status, nodes = call(node, "GET", "/_nodes/plugins")
    (only,) = nodes["nodes"].values()
    assert [module["name"] for module in only["modules"]] == ["transport-netty4"]
    assert only["plugins"] == []
    # The heap is the one asked for in the environment.
    status, jvm = call(node, "GET", "/_nodes/jvm")
    (only,) = jvm["nodes"].values()
    assert only["jvm"]["mem"]["heap_max_in_bytes"] == 256 * 1024 * 1024
    status, settings = call(node, "GET", "/_nodes/settings")
    (only,) = settings["nodes"].values()
    assert only["settings"]["discovery"]["type"] == "single-node"


def test_runs_as_the_unprivileged_user(node):
    assert docker("exec", node["name"], "id", "-u").stdout.strip() == "42400"
    processes = docker("top", node["name"], "-eo", "pid,uid,args").stdout.splitlines()[1:]
    java = [line for line in processes if "org.opensearch.bootstrap.OpenSearch" in line]
    assert java and all(line.split()[1] == "42400" for line in processes), processes


def test_index_bulk_search_and_msearch(node):
    # One node has nowhere to put a replica: writers ask for none.
    status, body = call(node, "PUT", "/logs-test-a", {"settings": {"number_of_replicas": 0},
                                                       "mappings": {"properties": {"level": {"type": "keyword"}}}})
    assert status == 200 and body["acknowledged"], body
    lines = []
    for index, log in (("logs-test-a", LOGS[0]), ("logs-test-a", LOGS[1]), ("logs-test-b", LOGS[2])):
        lines += [{"index": {"_index": index}}, log]
    status, body = call(node, "POST", "/_bulk?refresh=wait_for", lines, ndjson=True)
    assert status == 200 and not body["errors"], body
    assert [item["index"]["status"] for item in body["items"]] == [201, 201, 201]

    status, health = call(node, "GET", "/_cluster/health/logs-test-a")
    assert health["status"] == "green", health

    status, result = call(node, "POST", "/logs-test-*/_search", {"query": {"match": {"message": "disk"}}})
    assert status == 200 and messages(result) == ["disk almost full on sdb", "disk quota exceeded on sda1"]

    searches = [{"index": "logs-test-a"}, {"query": {"term": {"level": "INFO"}}},
                {"index": "logs-test-*", "search_type": "dfs_query_then_fetch"},
                {"query": {"term": {"dimensions.hostname.keyword": "node-1"}}, "size": 10}]
    status, body = call(node, "POST", "/_msearch", searches, ndjson=True)
    assert status == 200, body
    first, second = body["responses"]
    assert messages(first) == ["user logged in"]
    assert messages(second) == ["disk almost full on sdb", "disk quota exceeded on sda1"]


def test_bad_input_is_refused_and_loses_nothing(node):
    # A document that is not JSON fails its own item with a reason; the
    # others of the request are written.
    body = ('{"index":{"_index":"logs-test-c"}}\n{"message": "kept"}\n'
            '{"index":{"_index":"logs-test-c"}}\n{"message": \n')
    status, result = call(node, "POST", "/_bulk?refresh=wait_for", body, ndjson=True)
    assert status == 200 and result["errors"], result
    kept, refused = (item["index"] for item in result["items"])
    assert kept["status"] == 201 and refused["status"] == 400 and refused["error"]["reason"], result
    status, result = call(node, "POST", "/logs-test-c/_search", {"query": {"match_all": {}}})
    assert messages(result) == ["kept"]
    # A search that is not JSON is a 400 with a reason, not a 5xx.
    status, result = call(node, "POST", "/logs-test-a/_search", "{not json")
    assert status == 400 and result["error"]["type"], result
    # An _msearch body must end with a newline (what a proxy in front must keep).
    status, result = call(node, "POST", "/_msearch", '{"index":"logs-test-a"}\n{"query":{"match_all":{}}}',
                          ndjson=True)
    assert status == 400 and "newline" in result["error"]["reason"], result


def test_stop_is_clean_and_a_new_container_finds_the_data_on_the_volume(node):
    started = time.monotonic()
    docker("stop", "-t", "30", node["name"], timeout=60)
    assert time.monotonic() - started < 30
    assert docker("inspect", "-f", "{{.State.ExitCode}}", node["name"]).stdout.strip() == "0"
    # A new container: the root is read-only, so only the volume can have kept the indices.
    docker("rm", "-f", node["name"])
    start(node["name"], node["volume"], node["port"])
    status, result = call(node, "POST", "/logs-test-*/_search", {"query": {"match": {"message": "disk"}}})
    assert status == 200 and messages(result) == ["disk almost full on sdb", "disk quota exceeded on sda1"]
    status, body = call(node, "POST", "/_msearch",
                        [{"index": "logs-test-a"}, {"query": {"term": {"level": "INFO"}}}], ndjson=True)
    assert messages(body["responses"][0]) == ["user logged in"]
