"""deploy/helm/monasca: lint, render and schema validation (Kubernetes 1.34,
offline), and the properties the chart promises, on the rendered objects."""
import base64
import json
import re
import tomllib

import pytest
import yaml

from monasca_docker import catalog
from monasca_docker.cluster import k8s

from ..support import ROOT
from .conftest import CHART, helm, kubeconform, offline, render

APP_VERSION = yaml.safe_load((CHART / "Chart.yaml").read_text())["appVersion"]
# where the external infrastructure is, and the Secret with its passwords
ADDRESSES = ["kafka.external.uri=kafka.example:9092", "mysql.external.host=db.example",
             "mysql.external.port=3307", "influxdb.external.host=influx.example",
             "keystone.external.url=https://keystone.example:5000/",
             "memcached.external.uri=cache.example:11211", "opensearch.external.url=http://search.example:9200/",
             "secrets.existingSecret=my-passwords"]
INFRASTRUCTURE = ("kafka", "mysql", "influxdb", "keystone", "memcached", "opensearch")
EXTERNAL = ADDRESSES + [f"{name}.enabled=false" for name in INFRASTRUCTURE]
# component label -> the switch that removes it
SWITCHES = {"kafka": "kafka.enabled", "mysql": "mysql.enabled", "influxdb": "influxdb.enabled",
            "memcached": "memcached.enabled", "keystone": "keystone.enabled", "api": "api.enabled",
            "persister": "persister.enabled", "thresh": "thresh.enabled",
            "notification": "notification.enabled", "log-api": "logApi.enabled", "agent": "agent.enabled",
            "opensearch": "opensearch.enabled", "log-persister": "logPersister.enabled",
            "log-search": "logSearch.enabled",
            "mon-db-upgrade": "jobs.monDbUpgrade.enabled", "influxdb-init": "jobs.influxdbInit.enabled",
            "kafka-init": "jobs.kafkaInit.enabled"}
SCENARIOS = {
    "defaults": [],
    "all-external": EXTERNAL,
    "everything-off": [f"{switch}=false" for switch in SWITCHES.values()] + ADDRESSES,
    "ingress-nodeport-no-persistence": [
        "api.ingress.enabled=true", "api.ingress.host=api.example", "api.ingress.tlsSecret=api-tls",
        "api.ingress.className=nginx", "keystone.ingress.enabled=true", "logApi.ingress.enabled=true",
        "logSearch.ingress.enabled=true", "logSearch.service.type=NodePort", "opensearch.persistence.enabled=false",
        "api.service.type=NodePort", "keystone.service.type=LoadBalancer",
        "kafka.persistence.enabled=false", "mysql.persistence.enabled=false",
        "influxdb.persistence.enabled=false", "keystone.persistence.enabled=false",
        "api.replicas=3", "persister.replicas=3", "imageRegistry=registry.example:5000",
        "api.resources.limits.memory=1Gi", "agent.tolerations[0].operator=Exists",
        "mysql.nodeSelector.monasca/stateful=true", "jobs.nodeSelector.monasca/stateful=true"],
}


def pod_specs(objects):
    """(object, pod spec) of everything that runs containers."""
    for obj in objects:
        if obj["kind"] == "Pod":
            yield obj, obj["spec"]
        elif obj["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
            yield obj, obj["spec"]["template"]["spec"]


def containers(objects):
    for obj, spec in pod_specs(objects):
        for container in spec.get("initContainers", []) + spec["containers"]:
            yield obj, container


def component(obj):
    return obj["metadata"]["labels"]["app.kubernetes.io/component"]


def test_lint_strict(tools):
    assert "0 chart(s) failed" in helm(tools, "lint", "--strict", CHART).stdout
    assert "0 chart(s) failed" in helm(tools, "lint", "--strict", CHART, *sum((["--set", s] for s in EXTERNAL), [])).stdout


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_renders_objects_valid_for_kubernetes_1_34(tools, scenario):
    done, objects = render(tools, *SCENARIOS[scenario])
    checked = kubeconform(tools, done.stdout)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # every object was checked against a schema, none skipped
    assert f"Valid: {len(objects)}, Invalid: 0, Errors: 0, Skipped: 0" in checked.stdout


def test_kubeconform_refuses_a_broken_object(tools):
    done, objects = render(tools)
    broken = next(obj for obj in objects if obj["kind"] == "StatefulSet")
    broken["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "kafka"
    broken["spec"]["servicename"] = broken["spec"].pop("serviceName")
    checked = kubeconform(tools, yaml.safe_dump(broken))
    assert checked.returncode == 1
    assert "additional properties 'servicename' not allowed" in checked.stdout
    assert "containerPort': got string, want integer" in checked.stdout


def test_default_release_has_every_component(tools):
    _, objects = render(tools)
    kinds = {(obj["kind"], component(obj)) for obj in objects}
    for name in ("kafka", "mysql", "influxdb", "keystone", "opensearch"):
        assert ("StatefulSet", name) in kinds
    for name in ("memcached", "api", "persister", "thresh", "notification", "log-api", "log-persister", "log-search"):
        assert ("Deployment", name) in kinds
    assert ("DaemonSet", "agent") in kinds
    for name in ("mon-db-upgrade", "influxdb-init", "kafka-init"):
        assert ("Job", name) in kinds
    agent = next(spec for obj, spec in pod_specs(objects) if obj["kind"] == "DaemonSet")
    assert [c["name"] for c in agent["containers"]] == ["forwarder", "collector", "statsd"]
    # only what authenticates to the API gets the agent's password
    assert [c["name"] for c in agent["containers"] if "OS_PASSWORD" in {e["name"] for e in c["env"]}] == \
        ["forwarder", "collector"]


@pytest.mark.parametrize("name", SWITCHES)
def test_a_disabled_component_leaves_no_object(tools, name):
    done, objects = render(tools, f"{SWITCHES[name]}=false", *ADDRESSES)
    assert [obj["metadata"]["name"] for obj in objects if component(obj) == name] == []
    # and nothing else points at it (the API stays named in Keystone's catalog and the agent's URL)
    service = {"agent": "statsd"}.get(name, name)
    if name not in ("api", "mon-db-upgrade", "influxdb-init", "kafka-init"):
        assert not re.search(rf"rel-monasca-{service}(?![\w-])", done.stdout)


def test_each_component_runs_where_its_node_selector_says(tools):
    key = {name: switch.split(".")[0] for name, switch in SWITCHES.items()}    # jobs.* share jobs
    _, objects = render(tools, *{f"{k}.nodeSelector.pool={k}" for k in key.values()})
    placed = {component(obj): spec.get("nodeSelector") for obj, spec in pod_specs(objects) if obj["kind"] != "Pod"}
    assert placed == {name: {"pool": key[name]} for name in key}
    _, objects = render(tools)
    assert [component(obj) for obj, spec in pod_specs(objects) if "nodeSelector" in spec] == []


def test_external_infrastructure_is_used_and_not_deployed(tools):
    done, objects = render(tools, *EXTERNAL)
    assert {component(obj) for obj in objects}.isdisjoint(INFRASTRUCTURE)
    assert not re.search(rf"rel-monasca-({'|'.join(INFRASTRUCTURE)})(?![\w-])", done.stdout)
    env = {(obj["metadata"]["name"], c["name"], e["name"]): e.get("value")
           for obj, c in containers(objects) for e in c.get("env", [])}
    api = {name: value for (owner, cname, name), value in env.items() if cname == "api"}
    assert api["KAFKA_URI"] == "kafka.example:9092" and api["MYSQL_HOST"] == "db.example"
    assert api["MYSQL_PORT"] == "3307" and api["INFLUX_HOST"] == "influx.example"
    assert api["KEYSTONE_AUTH_URI"] == "https://keystone.example:5000"
    assert api["MEMCACHED_URI"] == "cache.example:11211"
    assert env["rel-monasca-log-persister", "log-persister", "OPENSEARCH_URL"] == \
        env["rel-monasca-log-search", "log-search", "OPENSEARCH_URL"] == "http://search.example:9200"
    assert all(ref["secretKeyRef"]["name"] == "my-passwords"
               for _, c in containers(objects) for e in c.get("env", []) if (ref := e.get("valueFrom", {})).get("secretKeyRef"))
    assert not any(obj["kind"] == "Secret" for obj in objects)


def test_passwords_only_in_the_secret(tools):
    done, objects = render(tools)
    secret = next(obj for obj in objects if obj["kind"] == "Secret")
    passwords = {key: base64.b64decode(value).decode() for key, value in secret["data"].items()}
    assert set(passwords) == {line.split("=")[0] for line in
                              (ROOT / "deploy/compose/monasca.env.example").read_text().splitlines()
                              if line.endswith("=generate")}
    assert len(set(passwords.values())) == len(passwords) and all(len(p) == 32 for p in passwords.values())
    others = yaml.safe_dump_all([obj for obj in objects if obj["kind"] != "Secret"])
    assert not [key for key, password in passwords.items() if password in others]
    # a password variable is always a reference, never a value
    literal = [(obj["metadata"]["name"], e["name"]) for obj, c in containers(objects) for e in c.get("env", [])
               if "PASSWORD" in e["name"] and "valueFrom" not in e]
    assert literal == []
    # the logs search's Keystone user: its password for the service and for Keystone's bootstrap
    keys = {(c["name"], e["name"]): e["valueFrom"]["secretKeyRef"]["key"]
            for _, c in containers(objects) for e in c.get("env", []) if "secretKeyRef" in e.get("valueFrom", {})}
    assert keys["log-search", "KEYSTONE_SERVICE_PASSWORD"] == \
        keys["keystone", "MONASCA_LOG_SEARCH_SERVICE_PASSWORD"] == "KEYSTONE_LOG_SEARCH_PASSWORD"


def test_every_container_runs_unprivileged(tools):
    _, objects = render(tools, *SCENARIOS["ingress-nodeport-no-persistence"])
    for obj, spec in pod_specs(objects):
        assert spec["securityContext"]["runAsNonRoot"] is True and spec["securityContext"]["runAsUser"] == 42400
    checked = list(containers(objects))
    assert len(checked) >= 20
    for obj, container in checked:
        security = container["securityContext"]
        assert security["allowPrivilegeEscalation"] is False, container["name"]
        assert security["capabilities"]["drop"] == ["ALL"], container["name"]
        assert security["runAsNonRoot"] is True and security["runAsUser"] == 42400, container["name"]
    # compose's read-only roots, with their tmpfs
    read_only = {c["name"] for _, c in checked if c["securityContext"]["readOnlyRootFilesystem"]}
    rendering = {"keystone", "memcached", "thresh", "api", "log-api", "persister", "notification",
                 "kafka", "influxdb", "mysql", "forwarder", "collector", "statsd",
                 "opensearch", "log-persister", "log-search"}
    assert rendering <= read_only
    for _, container in checked:
        if container["name"] in rendering:
            mounts = {m["mountPath"] for m in container.get("volumeMounts", [])}
            assert {"/run/monasca", "/tmp"} <= mounts, container["name"]


def test_services_are_probed_with_their_own_health_check(tools):
    _, objects = render(tools)
    services = [(obj, c) for obj, spec in pod_specs(objects) if obj["kind"] in ("Deployment", "StatefulSet", "DaemonSet")
                for c in spec["containers"]]
    assert len(services) == 16
    for obj, container in services:
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert container[probe]["exec"]["command"] == ["monasca-health"], (container["name"], probe)
        # A restart costs more than leaving a Service: liveness looks less often.
        assert container["livenessProbe"]["periodSeconds"] > container["readinessProbe"]["periodSeconds"]


def test_images_default_to_the_app_version(tools):
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert APP_VERSION == project
    _, objects = render(tools)
    images = {c["image"] for _, c in containers(objects)}
    assert images and all(re.fullmatch(rf"monasca/[a-z-]+:{re.escape(APP_VERSION)}", i) for i in images), images
    _, objects = render(tools, "api.image.tag=9.9.9", "imageRegistry=reg.example", "api.image.pullPolicy=Always")
    api = next(c for obj, c in containers(objects) if c["name"] == "api")
    assert api["image"] == "reg.example/monasca/api:9.9.9" and api["imagePullPolicy"] == "Always"


@pytest.mark.parametrize("sets, message", [
    (["kafka.replicas=0"], "kafka.replicas must be 1 or more"),
    (["mysql.enabled=false", "mysql.external.host=db"], "secrets.existingSecret"),
    (["kafka.enabled=false"], "kafka.external.uri"),
    (["keystone.enabled=false", "secrets.existingSecret=s"], "keystone.external.url"),
    (["opensearch.enabled=false"], "opensearch.external.url"),
])
def test_values_that_cannot_work_are_refused_with_the_way_out(tools, sets, message):
    done, _ = render(tools, *sets, check=False)
    assert done.returncode != 0 and message in done.stderr


def test_the_helm_test_hook_runs_the_smoke_checks_from_monasca_client(tools):
    _, objects = render(tools)
    pod = next(obj for obj in objects if obj["kind"] == "Pod")
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    container = pod["spec"]["containers"][0]
    assert container["image"] == f"monasca/client:{APP_VERSION}"
    assert container["args"] == ["monasca-smoke"]           # the image's program, as `monasca-docker smoke`
    env = {e["name"]: e for e in container["env"]}
    assert env["OS_INTERFACE"]["value"] == "internal"
    assert env["MONASCA_API_URL"]["value"] == "http://rel-monasca-api:8070/v2.0"
    assert env["MONASCA_LOG_API_URL"]["value"] == "http://rel-monasca-log-api:5607/v2.0"
    assert env["OS_PASSWORD"]["valueFrom"]["secretKeyRef"]["key"] == "MONASCA_USER_PASSWORD"
    # the log path is checked only when the log API, the persister and the search all run here
    for switch in ("logApi.enabled", "logPersister.enabled", "logSearch.enabled"):
        pod = next(obj for obj in render(tools, f"{switch}=false")[1] if obj["kind"] == "Pod")
        assert pod["spec"]["containers"][0]["args"] == ["monasca-smoke", "--no-logs"], switch
        assert "MONASCA_LOG_API_URL" not in {e["name"] for e in pod["spec"]["containers"][0]["env"]}, switch


def test_catalog_public_urls_are_the_values_and_internal_ones_the_services(tools):
    """Components take the internal endpoints (the Services); clients outside the
    cluster the public ones, and a 401 sends them to the public Keystone."""
    def env_of(objects):
        return {(c["name"], e["name"]): e.get("value") for _, c in containers(objects) for e in c.get("env", [])}
    env = env_of(render(tools, "keystone.publicUrl=https://id.example/", "api.publicUrl=https://mon.example/v2.0",
                        "logApi.publicUrl=https://logs.example/v2.0", "logSearch.publicUrl=https://search.example")[1])
    assert env["keystone", "KEYSTONE_PUBLIC_URL"] == "https://id.example"
    assert env["keystone", "KEYSTONE_INTERNAL_URL"] == env["keystone", "KEYSTONE_ADMIN_URL"] == \
        "http://rel-monasca-keystone:5000"
    assert env["keystone", "MONASCA_API_PUBLIC_URL"] == "https://mon.example/v2.0"
    assert env["keystone", "MONASCA_API_URL"] == "http://rel-monasca-api:8070/v2.0"
    assert env["keystone", "MONASCA_LOG_API_PUBLIC_URL"] == "https://logs.example/v2.0"
    assert env["keystone", "MONASCA_LOG_API_URL"] == "http://rel-monasca-log-api:5607/v2.0"
    assert env["keystone", "MONASCA_LOG_SEARCH_PUBLIC_URL"] == "https://search.example"
    assert env["keystone", "MONASCA_LOG_SEARCH_URL"] == "http://rel-monasca-log-search:5610"
    assert env["api", "KEYSTONE_AUTH_URI"] == env["log-api", "KEYSTONE_AUTH_URI"] == \
        env["log-search", "KEYSTONE_AUTH_URI"] == "https://id.example"
    assert env["log-search", "KEYSTONE_IDENTITY_URI"] == "http://rel-monasca-keystone:5000"
    assert env["api", "KEYSTONE_IDENTITY_URI"] == "http://rel-monasca-keystone:5000"

    defaults = env_of(render(tools)[1])       # empty public URLs: the Services, for every interface
    assert defaults["keystone", "KEYSTONE_PUBLIC_URL"] == "http://rel-monasca-keystone:5000"
    assert defaults["keystone", "MONASCA_API_PUBLIC_URL"] == defaults["keystone", "MONASCA_LOG_API_PUBLIC_URL"] == ""
    assert defaults["api", "KEYSTONE_AUTH_URI"] == "http://rel-monasca-keystone:5000"
    assert defaults["keystone", "MONASCA_LOG_SEARCH_PUBLIC_URL"] == ""
    # no logs search here: Keystone makes neither its user nor its catalog entry
    without = {name for cname, name in env_of(render(tools, "logSearch.enabled=false")[1]) if cname == "keystone"}
    assert "KEYSTONE_ADMIN_PASSWORD" in without and not {n for n in without if "LOG_SEARCH" in n}


def test_opensearch_holds_its_data_on_a_claim_with_the_heap_of_the_values(tools):
    _, objects = render(tools, "opensearch.heap=2g", "opensearch.persistence.size=20Gi")
    store = next(obj for obj in objects if obj["kind"] == "StatefulSet" and component(obj) == "opensearch")
    container = store["spec"]["template"]["spec"]["containers"][0]
    assert {e["name"]: e["value"] for e in container["env"]} == {"OPENSEARCH_HEAP": "2g"}
    assert {"name": "data", "mountPath": "/var/lib/monasca/opensearch"} in container["volumeMounts"]
    claim = store["spec"]["volumeClaimTemplates"][0]
    assert claim["metadata"]["name"] == "data" and claim["spec"]["resources"]["requests"]["storage"] == "20Gi"
    assert next(obj for obj in objects if obj["kind"] == "Service" and component(obj) == "opensearch")["spec"][
        "ports"] == [{"name": "http", "port": 9200, "targetPort": "http"}]


def test_opensearch_disabled_leaves_no_store_and_the_log_services_use_the_external_url(tools):
    # no password of its own: no existingSecret needed, unlike MariaDB, InfluxDB and Keystone
    done, objects = render(tools, "opensearch.enabled=false", "opensearch.external.url=https://logs-store.example:9243/")
    assert [obj["metadata"]["name"] for obj in objects if component(obj) == "opensearch"] == []
    assert "rel-monasca-opensearch" not in done.stdout
    urls = {c["name"]: e["value"] for _, c in containers(objects) for e in c.get("env", []) if e["name"] == "OPENSEARCH_URL"}
    assert urls == {"log-persister": "https://logs-store.example:9243", "log-search": "https://logs-store.example:9243"}
    # and the built-in one is what they use otherwise
    urls = {c["name"]: e["value"] for _, c in containers(render(tools)[1]) for e in c.get("env", [])
            if e["name"] == "OPENSEARCH_URL"}
    assert urls == {"log-persister": "http://rel-monasca-opensearch:9200", "log-search": "http://rel-monasca-opensearch:9200"}


def test_log_services_take_their_settings_from_the_values(tools):
    _, objects = render(tools, "logPersister.batchSize=100", "logPersister.batchWaitSeconds=0.5",
                        "logPersister.storeRetrySeconds=30", "logPersister.indexShards=3", "logPersister.indexReplicas=1",
                        "logPersister.replicas=4", "logSearch.gunicornWorkers=4", "logSearch.gunicornTimeout=90",
                        "logSearch.opensearchTimeout=20", "logSearch.replicas=2")
    env = {(c["name"], e["name"]): e.get("value") for _, c in containers(objects) for e in c.get("env", [])}
    assert [env["log-persister", name] for name in ("KAFKA_URI", "BATCH_SIZE", "BATCH_WAIT_SECONDS", "STORE_RETRY_SECONDS",
                                                    "LOGS_INDEX_SHARDS", "LOGS_INDEX_REPLICAS")] == \
        ["rel-monasca-kafka:9092", "100", "0.5", "30", "3", "1"]
    assert [env["log-search", name] for name in ("GUNICORN_WORKERS", "GUNICORN_TIMEOUT", "OPENSEARCH_TIMEOUT",
                                                 "MEMCACHED_URI")] == ["4", "90", "20", "rel-monasca-memcached:11211"]
    replicas = {component(obj): obj["spec"]["replicas"] for obj in objects if obj["kind"] == "Deployment"}
    assert (replicas["log-persister"], replicas["log-search"]) == (4, 2)
    service = next(obj for obj in objects if obj["kind"] == "Service" and component(obj) == "log-search")
    assert service["spec"]["ports"] == [{"name": "http", "port": 5610, "targetPort": "http"}]


def test_retention_comes_from_the_values_to_influxdb_init_and_the_log_persister(tools):
    def retention(*sets):
        _, objects = render(tools, *sets)
        env = {(c["name"], e["name"]): e.get("value") for _, c in containers(objects) for e in c.get("env", [])}
        return env["influxdb-init", "INFLUXDB_DEFAULT_RETENTION"], env["log-persister", "LOGS_RETENTION_DAYS"]
    assert retention() == ("30d", "7")
    assert retention("retention.metrics=90d", "retention.logDays=0") == ("90d", "0")


def test_jobs_get_a_new_name_per_revision_and_wait_for_their_service(tools):
    _, objects = render(tools)
    jobs = {component(obj): obj for obj in objects if obj["kind"] == "Job"}
    assert jobs["kafka-init"]["metadata"]["name"] == "rel-monasca-kafka-init-1"
    upgrade = jobs["mon-db-upgrade"]["spec"]["template"]["spec"]
    assert upgrade["initContainers"][0]["command"][0] == "monasca-wait"
    connection = next(e["value"] for e in upgrade["containers"][0]["env"] if e["name"] == "OS_DATABASE__CONNECTION")
    assert connection == "mysql+pymysql://monapi:$(MYSQL_PASSWORD)@rel-monasca-mysql:3306/mon"


def test_helm_runs_without_network():
    """The namespace the chart tests run in really has no route out."""
    probe = "import socket; socket.create_connection(('1.1.1.1', 443), timeout=3)"
    done = offline("python3", "-c", probe, check=False)
    assert done.returncode != 0 and "Network is unreachable" in done.stderr


# --- the README documents every value ---------------------------------------------

def leaves(values, prefix=""):
    """Every value path with its default; an empty map or list is a value of its own."""
    for key, value in values.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            yield from leaves(value, path + ".")
        else:
            yield path, value


def shown(value):
    """A default as the README writes it."""
    return value if isinstance(value, str) and value else json.dumps(value)


def documented(readme: str) -> dict:
    return dict(re.findall(r"^\| `([^`]+)` \| `([^`]*)` \|", readme, re.MULTILINE))


def readme_problems(values: dict, readme: str) -> list[str]:
    """What the README gets wrong about values.yaml: missing, stale or other defaults."""
    expected, table = dict(leaves(values)), documented(readme)
    return ([f"{path}: not in README.md (default {shown(value)})" for path, value in expected.items()
             if path not in table] +
            [f"{path}: in README.md but not in values.yaml" for path in table if path not in expected] +
            [f"{path}: README.md says {table[path]}, values.yaml {shown(value)}" for path, value in expected.items()
             if path in table and table[path] != shown(value)])


def test_readme_lists_every_value_with_its_default():
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert readme_problems(values, (CHART / "README.md").read_text()) == []


def test_readme_check_fires_on_a_missing_stale_or_wrong_value():
    values = {"api": {"replicas": 1, "env": {}}, "fullnameOverride": ""}
    readme = "| `api.replicas` | `2` | pods |\n| `api.gone` | `1` | x |\n| `fullnameOverride` | `\"\"` | name |\n"
    assert readme_problems(values, readme) == [
        "api.env: not in README.md (default {})", "api.gone: in README.md but not in values.yaml",
        "api.replicas: README.md says 2, values.yaml 1"]


def test_every_image_the_chart_runs_is_one_the_catalog_builds():
    """`cluster up --kind k8s` builds the chart's images by their catalog names."""
    assert set(k8s.chart_images(ROOT)) <= {image.repository for image in catalog.load(ROOT).values()}
