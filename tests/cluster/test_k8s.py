"""A real three-node Kubernetes cluster of node containers (`monasca-docker
cluster up --kind k8s`): every node Ready and running the project's images,
pulled from the cluster's own registry; `down` leaves no container, volume
or cgroup behind.

The chart's install on it is not tested yet: on this 2-core machine the
whole chart on three nodes did not become Ready within 25 minutes (probes
of Keystone and Kafka timing out at load 50 to 60, their pods restarted);
see issue #12."""
import json
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from ..support import CLI, ROOT, docker

CHART = ROOT / "deploy" / "helm" / "monasca"

pytestmark = pytest.mark.heavy("deploy/cluster/", "src/monasca_docker/cluster/",
                               "scripts/k8s-tools", "tests/cluster/")


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
