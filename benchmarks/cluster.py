#!/usr/bin/env python3
"""The Kubernetes cluster of node containers, timed:

1. cold time to a Ready cluster (with --cold: the tools built into an empty
   cache and the node images made again; without it the cluster's first
   `up` as the cache stands), then warm (everything cached), each from
   `cluster up` to 3 nodes Ready and CoreDNS running;
2. `helm install` of deploy/helm/monasca (VALUES below) to every pod Ready,
   where the api and persister replicas run, and `helm test` (monasca-smoke:
   token, metrics posted and read back, an alarm);
3. node loss: node3 stopped to NotReady, `helm test` again while it is down,
   and node3 started to Ready again.

Leaves no cluster behind:

    .venv/bin/python benchmarks/cluster.py [--cold]
"""
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHART = ROOT / "deploy" / "helm" / "monasca"
# Cut to what 2 cores carry: no PersistentVolumes (no storage provisioner
# here), no log services or agent, fewer topic partitions; api (1 worker) and
# persister at 3 replicas, as many as there are nodes.
VALUES = {
    "api.replicas": "3", "api.gunicornWorkers": "1", "persister.replicas": "3",
    **{f"{c}.enabled": "false" for c in ("opensearch", "logApi", "logPersister", "logSearch", "agent")},
    **{f"{c}.persistence.enabled": "false" for c in ("kafka", "mysql", "influxdb", "keystone")},
    **{f"jobs.kafkaInit.topics.{topic}": "3" for topic in (
        "alarm-state-transitions", "alarm-notifications", "retry-notifications", "events",
        "60-seconds-notifications", "log")},
    "jobs.kafkaInit.topics.metrics": "12",
}
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

    started = time.monotonic()
    run(helm, "--kubeconfig", kubeconfig, "install", "monasca", CHART, "--set", f"imageRegistry={registry}",
        *[arg for key, value in VALUES.items() for arg in ("--set", f"{key}={value}")],
        "--wait", "--wait-for-jobs", "--timeout", "30m")
    installed = time.monotonic() - started
    spread = run(*kubectl, "get", "pods", "-l", "app.kubernetes.io/component in (api,persister)", "-o",
                 "jsonpath={range .items[*]}{.metadata.labels.app\\.kubernetes\\.io/component}@{.spec.nodeName} {end}")
    started = time.monotonic()
    run(helm, "--kubeconfig", kubeconfig, "test", "monasca", "--timeout", "10m")
    smoke = time.monotonic() - started

    run("docker", "stop", "--time", "1", "monasca-k8s-node3")
    started = time.monotonic()
    while "NotReady" not in run(*kubectl, "get", "node", "node3"):
        time.sleep(1)
    not_ready = time.monotonic() - started
    started = time.monotonic()
    run(helm, "--kubeconfig", kubeconfig, "test", "monasca", "--timeout", "10m")
    smoke_down = time.monotonic() - started
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
          f"node3 stopped to NotReady:        {not_ready:7.1f} s\n"
          f"helm test, node3 down, passed:    {smoke_down:7.1f} s\n"
          f"node3 started to Ready again:     {recovered:7.1f} s")


if __name__ == "__main__":
    main()
