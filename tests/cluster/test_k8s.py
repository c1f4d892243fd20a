"""A real three-node Kubernetes cluster of node containers (`monasca-docker
cluster up --kind k8s`): every node Ready and running the project's images,
pulled from the cluster's own registry; the chart installed on it
(ci/three-nodes.yaml: what 2 cores carry) passes `helm test`, keeps
answering and loses no acknowledged metric when a node is lost, and is whole
again when the node is back; `down` leaves no container, volume or cgroup
behind. Each phase's time is printed (-s)."""
import base64
import json
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import yaml
from keystoneauth1 import session
from monascaclient import client as monasca_client

from tests.stack.conftest import eventually, user_session
from tests.stack.test_smoke import measurements
from tests.support import CLI, ROOT, docker

CHART = ROOT / "deploy" / "helm" / "monasca"


def cli(*args, check=True):
    done = subprocess.run([CLI, "cluster", *args, "--kind", "k8s"], cwd=ROOT, capture_output=True, text=True)
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


def kubectl_dir() -> Path:
    """kubectl's folder (scripts/k8s-tools builds what is missing)."""
    done = subprocess.run([str(ROOT / "scripts" / "k8s-tools")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return Path(done.stdout.strip()) / "k8s" / "v1.34.4" / "bin"


@pytest.fixture(scope="module")
def cluster():
    cli("down")
    started = time.monotonic()
    printed = cli("up").stdout
    print(printed, f"cluster up: {time.monotonic() - started:.1f} s")
    yield printed
    cli("down")
    leftovers = docker("ps", "-a", "-q", "--filter", "label=monasca-k8s.cluster").stdout.split()
    leftovers += docker("volume", "ls", "-q", "--filter", "label=monasca-k8s.cluster").stdout.split()
    assert not leftovers, leftovers
    assert not list(Path("/sys/fs/cgroup").glob("*/monasca-k8s-node*"))


def kube_access(printed):
    """(kubectl command prefix, the registry's address) from what `cluster up` printed."""
    kube_bin = kubectl_dir()
    kubeconfig = next(line.split("KUBECONFIG=")[1].split()[0] for line in printed.splitlines()
                      if "KUBECONFIG=" in line)
    return [str(kube_bin / "kubectl"), "--kubeconfig", kubeconfig, "--request-timeout=10s"], \
        printed.split("imageRegistry=")[1].split()[0]


def test_every_node_runs_the_projects_images_from_the_cluster_registry(cluster):
    """Three Ready nodes, and on each a pod of monasca/client pulled from the cluster's registry
    (no registry outside is reachable) that prints the image's build record."""
    kubectl, registry = kube_access(cluster)
    assert cli("status").returncode == 0
    tag = yaml.safe_load((CHART / "Chart.yaml").read_text())["appVersion"]
    for node in ("node1", "node2", "node3"):
        overrides = json.dumps({"spec": {"nodeName": node}})
        done = subprocess.run([*kubectl, "run", f"probe-{node}", f"--image={registry}/monasca/client:{tag}",
                               "--restart=Never", f"--overrides={overrides}", "--", "version", "--json"],
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    for node in ("node1", "node2", "node3"):
        started = time.monotonic()
        while (phase := subprocess.run([*kubectl, "get", "pod", f"probe-{node}", "-o", "jsonpath={.status.phase}"],
                                       capture_output=True, text=True).stdout) != "Succeeded":
            assert phase != "Failed" and time.monotonic() - started < 300, f"probe-{node}: {phase}"
            time.sleep(2)
        record = json.loads(subprocess.run([*kubectl, "logs", f"probe-{node}"], capture_output=True, text=True).stdout)
        assert record["image"] == "monasca/client", record
        subprocess.run([*kubectl, "delete", "pod", f"probe-{node}", "--wait=false"], capture_output=True)


def helm_run(printed, *args):
    tools = subprocess.run([str(ROOT / "scripts" / "helm-tools")], capture_output=True, text=True, check=True)
    kubeconfig = printed.split("KUBECONFIG=")[1].split()[0]
    return subprocess.run([f"{tools.stdout.strip()}/bin/helm", "--kubeconfig", kubeconfig, *args],
                          capture_output=True, text=True)


def helm(printed, *args):
    done = helm_run(printed, *args)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:] + cluster_state(printed)
    return done.stdout


def cluster_state(printed):
    """What a failure needs beside helm's output: the pods (restarts, nodes) and Keystone's
    and the API's last log lines; the cluster is gone when the test ends."""
    kubectl, _ = kube_access(printed)
    commands = (["get", "pods", "-o", "wide"], ["logs", "statefulset/monasca-keystone", "--tail=15"],
                ["logs", "-l", "app.kubernetes.io/component=api", "--tail=10", "--prefix"])
    return "".join(f"\n$ kubectl {' '.join(args)}\n" + (done.stdout + done.stderr)[-2000:]
                   for args in commands
                   for done in [subprocess.run([*kubectl, *args], capture_output=True, text=True)])


def kubectl_get(kubectl, *args):
    return subprocess.run([*kubectl, "get", *args], capture_output=True, text=True, check=True).stdout


def test_chart_on_three_nodes_keeps_every_acknowledged_metric_when_a_node_is_lost(cluster):
    kubectl, registry = kube_access(cluster)
    subprocess.run([*kubectl, "label", "node", "node1", "monasca/stateful=true"], check=True, capture_output=True)
    started = time.monotonic()
    helm(cluster, "install", "monasca", str(CHART), "-f", str(CHART / "ci" / "three-nodes.yaml"),
         "--set", f"imageRegistry={registry}", "--wait", "--wait-for-jobs", "--timeout", "20m")
    print(f"\nhelm install to every pod Ready: {time.monotonic() - started:.0f} s")
    placed = kubectl_get(kubectl, "pods", "-l", "app.kubernetes.io/component in (api,persister,kafka)", "-o",
                      "jsonpath={range .items[*]}{.metadata.labels.app\\.kubernetes\\.io/component} "
                      "{.spec.nodeName}{\"\\n\"}{end}").split("\n")
    for name in ("api", "persister", "kafka"):      # one replica a node
        assert sorted(line.split()[1] for line in placed if line.startswith(f"{name} ")) == \
            ["node1", "node2", "node3"], placed
    assert "Phase:          Succeeded" in helm(cluster, "test", "monasca", "--logs", "--timeout", "10m")

    # From the host, as a user outside the cluster: Keystone and the API at
    # node1's address (their NodePorts), node3 the node to lose.
    node1 = kubectl_get(kubectl, "node", "node1", "-o", "jsonpath={.status.addresses[0].address}")
    port = {name: kubectl_get(kubectl, "service", f"monasca-{name}", "-o", "jsonpath={.spec.ports[0].nodePort}")
            for name in ("api", "keystone")}
    password = subprocess.run([*kubectl, "get", "secret", "monasca-passwords", "-o",
                               "jsonpath={.data.MONASCA_USER_PASSWORD}"], capture_output=True, text=True).stdout
    auth = user_session(f"http://{node1}:{port['keystone']}/v3", base64.b64decode(password).decode()).auth
    monasca = monasca_client.Client("2_0", session=session.Session(auth=auth, timeout=10),
                                    endpoint=f"http://{node1}:{port['api']}/v2.0")
    name, run, posted, acknowledged = "k8s.node_loss", uuid.uuid4().hex[:10], [], []

    def post():
        value = float(len(posted))
        posted.append(value)
        try:
            monasca.metrics.create(jsonbody={"name": name, "dimensions": {"run": run}, "value": value,
                                             "timestamp": int(time.time() * 1000)})
            acknowledged.append(value)
        except Exception:   # refused, or timed out (and maybe stored after all): not owed
            pass

    for _ in range(20):
        post()
    docker("stop", "--time", "1", "monasca-k8s-node3")
    stopped = time.monotonic()
    while "NotReady" not in kubectl_get(kubectl, "node", "node3"):
        post()
    # Until the lost broker leaves the in-sync replicas (30 s), acks=all
    # writes can wait and the API answers 503; after that it must accept.
    not_ready, before = time.monotonic() - stopped, len(acknowledged)
    while len(acknowledged) - before < 20:
        assert time.monotonic() - stopped < 180, "the API did not accept 20 POSTs within 180 s of losing node3"
        post()
    stored = eventually(lambda: (found := {p[1] for p in measurements(monasca, name, run=run)}) >= set(acknowledged)
                        and found, 600, "every acknowledged measurement queryable with node3 down")
    assert stored <= set(posted), "a measurement nobody posted"
    print(f"node3 lost: NotReady after {not_ready:.0f} s; all {len(acknowledged)} acknowledged measurements "
          f"queryable {time.monotonic() - stopped:.0f} s after the stop ({len(posted) - len(acknowledged)} POSTs "
          f"refused or timed out, {len(stored) - len(acknowledged)} of them stored all the same)")
    # helm test's pod can still meet the loss (stop 18's CI saw it fail 12 s in,
    # passing alone): the chart must pass it again within 300 s of the stop.
    while (smoke := helm_run(cluster, "test", "monasca", "--logs", "--timeout", "5m")).returncode != 0:
        assert time.monotonic() - stopped < 300, \
            f"helm test still failing 300 s after node3 stopped:\n{smoke.stdout[-3000:]}{smoke.stderr[-1000:]}"
        print(f"helm test failed {time.monotonic() - stopped:.0f} s after the stop:\n{smoke.stdout[-1500:]}")
        time.sleep(10)
    assert "Phase:          Succeeded" in smoke.stdout, smoke.stdout[-3000:]
    print(f"helm test passed {time.monotonic() - stopped:.0f} s after the stop")

    docker("start", "monasca-k8s-node3")
    back = time.monotonic()
    eventually(lambda: cli("status", check=False).returncode == 0, 300, "node3 Ready again")
    print(f"node3 back: every node Ready {time.monotonic() - back:.0f} s after the start")
