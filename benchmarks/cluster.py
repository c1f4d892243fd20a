#!/usr/bin/env python3
"""The Kubernetes cluster of node containers, timed:

1. cold time to a Ready cluster (with --cold: the tools built into an empty
   cache and the node images made again; without it the cluster's first
   `up` as the cache stands), then warm (everything cached), each from
   `cluster up` to 3 nodes Ready and CoreDNS running;
2. `helm install` of deploy/helm/monasca (ci/three-nodes.yaml) to every pod Ready,
   where the api and persister replicas run, and `helm test` (monasca-smoke:
   token, metrics posted and read back, an alarm);
3. ingest (benchmarks/ingest.py's acknowledged POSTs, 4 clients, at node1's
   NodePort) with api and persister at 1 replica, then at 3;
4. node loss: node3 stopped to NotReady, `helm test` again while it is down,
   and node3 started to Ready again.

Leaves no cluster behind:

    .venv/bin/python benchmarks/cluster.py [--cold]
"""
import base64
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from keystoneauth1 import session
from keystoneauth1.identity import v3

import ingest    # benchmarks/ingest.py

ROOT = Path(__file__).resolve().parents[1]
CHART = ROOT / "deploy" / "helm" / "monasca"
# What 2 cores carry, the single-instance services on node1 (see the file).
VALUES = CHART / "ci" / "three-nodes.yaml"
CLI = str(Path(sys.executable).parent / "monasca-docker")


def run(*args, env=None):
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, env={**os.environ, **(env or {})})
    if done.returncode:
        sys.exit(f"{' '.join(map(str, args[:4]))} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def up(env=None):
    run(CLI, "cluster", "down", "--kind", "k8s")
    started = time.monotonic()
    printed = run(CLI, "cluster", "up", "--kind", "k8s", env=env)
    return time.monotonic() - started, printed


def api_access(kubectl):
    """(the API's URL at node1's NodePort, a token for mini-mon from Keystone's NodePort)."""
    node1 = run(*kubectl, "get", "node", "node1", "-o", "jsonpath={.status.addresses[0].address}")
    port = {name: run(*kubectl, "get", "service", f"monasca-{name}", "-o", "jsonpath={.spec.ports[0].nodePort}")
            for name in ("api", "keystone")}
    password = run(*kubectl, "get", "secret", "monasca-passwords", "-o", "jsonpath={.data.MONASCA_USER_PASSWORD}")
    auth = v3.Password(auth_url=f"http://{node1}:{port['keystone']}/v3", username="mini-mon",
                       password=base64.b64decode(password).decode(), project_name="mini-mon",
                       user_domain_name="Default", project_domain_name="Default")
    return f"http://{node1}:{port['api']}/v2.0", session.Session(auth=auth).get_token()


def ingest_rate(kubectl, access, replicas):
    """Acknowledged metrics/s, 4 clients, with api and persister at `replicas`."""
    for deployment in ("monasca-api", "monasca-persister"):
        run(*kubectl, "scale", "deployment", deployment, f"--replicas={replicas}")
        run(*kubectl, "rollout", "status", "deployment", deployment, "--timeout=10m")
    rate, _ = ingest.throughput(*access, 4)
    return rate


def main():
    env = None
    if "--cold" in sys.argv:
        env = {"MONASCA_TOOLS_DIR": tempfile.mkdtemp(prefix="k8s-tools-", dir="/var/tmp")}
        for image in ("monasca-k8s/rootfs:bookworm", "monasca-k8s/node:v1.34.4"):
            subprocess.run(["docker", "image", "rm", image], capture_output=True)
    cold, _ = up(env)
    warm, printed = up()
    kubeconfig = printed.split("KUBECONFIG=")[1].split()[0]
    bin_dir = printed.split("PATH=")[1].split(":")[0]
    helm = Path(run(str(ROOT / "scripts" / "helm-tools")).strip()) / "bin" / "helm"
    registry = printed.split("imageRegistry=")[1].split()[0]
    kubectl = [f"{bin_dir}/kubectl", "--kubeconfig", kubeconfig]

    run(*kubectl, "label", "node", "node1", "monasca/stateful=true")
    started = time.monotonic()
    run(helm, "--kubeconfig", kubeconfig, "install", "monasca", CHART, "-f", VALUES,
        "--set", f"imageRegistry={registry}", "--wait", "--wait-for-jobs", "--timeout", "30m")
    installed = time.monotonic() - started
    spread = run(*kubectl, "get", "pods", "-l", "app.kubernetes.io/component in (api,persister)", "-o",
                 "jsonpath={range .items[*]}{.metadata.labels.app\\.kubernetes\\.io/component}@{.spec.nodeName} {end}")
    started = time.monotonic()
    run(helm, "--kubeconfig", kubeconfig, "test", "monasca", "--timeout", "10m")
    smoke = time.monotonic() - started
    access = api_access(kubectl)
    rates = {replicas: ingest_rate(kubectl, access, replicas) for replicas in (1, 3)}   # 3 again for the node loss

    run("docker", "stop", "--time", "1", "monasca-k8s-node3")
    stopped = time.monotonic()
    while "NotReady" not in run(*kubectl, "get", "node", "node3"):
        time.sleep(1)
    not_ready = time.monotonic() - stopped
    # Right after the loss the API may answer 503 (acks=all writes waiting on
    # the lost broker until it leaves the in-sync replicas, 30 s): helm test
    # again until it passes.
    for failed_tests in range(10):
        if subprocess.run([helm, "--kubeconfig", kubeconfig, "test", "monasca", "--timeout", "10m"],
                          capture_output=True).returncode == 0:
            break
    else:
        sys.exit("helm test failed 10 times with node3 down")
    smoke_down = time.monotonic() - stopped
    run("docker", "start", "monasca-k8s-node3")
    started = time.monotonic()
    while subprocess.run([CLI, "cluster", "status", "--kind", "k8s"], capture_output=True).returncode:
        time.sleep(1)
    recovered = time.monotonic() - started
    run(CLI, "cluster", "down", "--kind", "k8s")

    print(f"cluster up, 3 nodes Ready ({'cold' if env else 'first'}): {cold:7.1f} s\n"
          f"cluster up, 3 nodes Ready (warm):  {warm:7.1f} s\n"
          f"helm install to all pods Ready:   {installed:7.1f} s\n"
          f"  replicas (component@node): {spread}\n"
          f"helm test (monasca-smoke) passed: {smoke:7.1f} s\n"
          f"ingest, api+persister at 3 replicas: {rates[3]:7.0f} metrics/s\n"
          f"ingest, api+persister at 1 replica:  {rates[1]:7.0f} metrics/s (3:1 = {rates[3] / rates[1]:.2f})\n"
          f"node3 stopped to NotReady:        {not_ready:7.1f} s\n"
          f"helm test, node3 down, passed:    {smoke_down:7.1f} s after the stop ({failed_tests} failed before)\n"
          f"node3 started to Ready again:     {recovered:7.1f} s")


if __name__ == "__main__":
    main()
