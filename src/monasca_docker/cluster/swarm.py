"""A Docker Swarm of node containers, each a Debian Docker engine, running the stack.

`up` starts the nodes (scripts/engine-dind's image), forms the swarm with
node1 as its manager, hands every node the stack's images (`docker save`
here, `docker load` there: no registry), deploys the stack with
`docker stack deploy` and waits until it has converged. The stack file is
made from the compose file (stack_config below), so the two cannot drift.

Two restrictions of this kernel, which has no IPVS: Swarm's virtual IPs and
its ingress routing mesh do not work, so every service is found by DNS round
robin (endpoint_mode dnsrr) and ports are published on the nodes that run
the service (mode host).
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from .. import engine, stack
from ..errors import UserError
from .nodes import UNPRIVILEGED, remove_cgroups

PREFIX = "monasca-swarm"            # every container, volume, network and cgroup this makes
LABEL = "org.monasca-docker.cluster=swarm"
SUITE = "trixie"                    # Debian's Docker 26.1, the engine-dind image of that suite
STACK = "monasca"
OVERRIDE = Path("deploy") / "swarm" / "swarm.yml"


def docker(*args: str, host: str | None = None, **kwargs) -> subprocess.CompletedProcess:
    """The docker CLI on this engine, or on a node's (host: its address)."""
    return engine.docker(*args, host=f"tcp://{host}:2375" if host else None, **kwargs)


def node_names() -> list[str]:
    out = docker("ps", "--all", "--filter", f"label={LABEL}", "--format", "{{.Names}}").stdout.split()
    return sorted(out)


def address(name: str) -> str:
    return docker("inspect", "--format", f'{{{{(index .NetworkSettings.Networks "{PREFIX}").IPAddress}}}}',
                  name).stdout.strip()


def manager() -> str:
    """node1's address, where the swarm and the stack are driven."""
    return address(f"{PREFIX}-node1")


def checked(result: subprocess.CompletedProcess, what: str) -> str:
    if result.returncode != 0:
        raise UserError(f"{what} failed: {(result.stderr or result.stdout).strip()[-2000:]}")
    return result.stdout.strip()


# --- nodes and the swarm ---------------------------------------------------

def node_image(root: Path) -> str:
    """The engine image of scripts/engine-dind, made there when missing."""
    return checked(subprocess.run([str(root / "scripts" / "engine-dind"), "--image", SUITE],
                                  capture_output=True, text=True), "making the node image")


def start_nodes(root: Path, count: int) -> list[str]:
    image = node_image(root)
    if docker("network", "inspect", PREFIX).returncode != 0:
        checked(docker("network", "create", "--label", LABEL, PREFIX), "creating the cluster network")
    names = [f"{PREFIX}-node{i}" for i in range(1, count + 1)]
    for i, name in enumerate(names, 1):
        checked(docker(
            "run", "--detach", "--name", name, "--hostname", f"node{i}", "--network", PREFIX,
            "--label", LABEL, *UNPRIVILEGED, "--volume", f"{name}:/var/lib/docker",
            # no registry can be reached: never try one for an image the node has
            "--env", "DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1",
            image, "dockerd", "--host", "tcp://0.0.0.0:2375", "--host", "unix:///var/run/docker.sock",
            "--tls=false", f"--cgroup-parent=/{name}",
            # Swarm on Docker 26.1 cannot set no-new-privileges per service
            # (security_opt is ignored by `stack deploy`): the engine sets it for all.
            "--no-new-privileges"), f"starting {name}")
    for name in names:
        wait_for(lambda n=name: docker("version", host=address(n)).returncode == 0, 60, f"{name}'s engine")
    return [address(name) for name in names]


def form(addresses: list[str]) -> None:
    """node1 initialises the swarm as its manager; the others join as workers."""
    first, *others = addresses
    checked(docker("swarm", "init", "--advertise-addr", first, host=first), "swarm init")
    token = checked(docker("swarm", "join-token", "--quiet", "worker", host=first), "swarm join-token")
    for node in others:
        checked(docker("swarm", "join", "--token", token, f"{first}:2377", host=node), f"swarm join on {node}")
    wait_for(lambda: not_ready(first) == [], 60, "every node Ready")


def not_ready(manager_address: str) -> list[str]:
    """The nodes the manager does not list as Ready and Active (all, when it does not answer)."""
    result = docker("node", "ls", "--format", "{{.Hostname}} {{.Status}} {{.Availability}}", host=manager_address)
    if result.returncode != 0:
        return ["the manager"]
    lines = result.stdout.splitlines()
    missing = len(node_names()) - len(lines)
    return [line for line in lines if line.split()[1:] != ["Ready", "Active"]] + ["a node"] * max(missing, 0)


def hand_images(root: Path, addresses: list[str]) -> None:
    """Build what the stack needs (cached) and load it into every node: one
    `docker save` stream, copied to each node's `docker load`."""
    stack.build_images(stack.stack_images(root), "hand the images over", stack.component_series(root))
    refs = sorted({service["image"] for service in stack_config(root, addresses[0])["services"].values()})
    engine.copy_images(refs, [f"tcp://{node}:2375" for node in addresses])


# --- the stack -----------------------------------------------------------

def stack_config(root: Path, public_host: str) -> dict:
    """The stack file: the compose file with deploy/swarm/swarm.yml over it,
    as Compose reads them (interpolated from monasca.env), made fit for Swarm.

    What Swarm ignores or cannot do goes: build, depends_on (the images wait
    for what they need themselves), restart (→ deploy.restart_policy: a job,
    restart "no", runs again only on failure), host addresses of ports. Ports
    are published on the node (mode host), services found by DNS round robin
    (dnsrr); no read-only root (see IGNORED).
    """
    config = stack.compose_config(root, overrides=(root / OVERRIDE,), host=public_host)
    services = {name: swarm_service(service) for name, service in config["services"].items()}
    return {"version": "3.9", "services": services, "volumes": {name: {} for name in config.get("volumes", {})}}


def swarm_service(compose_service: dict) -> dict:
    service = {key: value for key, value in compose_service.items() if key not in IGNORED and value is not None}
    deploy = service.setdefault("deploy", {})
    deploy["endpoint_mode"] = "dnsrr"
    job = compose_service.get("restart", "no") == "no"
    deploy.setdefault("restart_policy", {"condition": "on-failure" if job else "any", "delay": "10s"})
    if job:
        # A job runs an image meant for a server, with that server's check:
        # Swarm would stop the job as unhealthy, and its clean exit on
        # SIGTERM would count as done.
        service["healthcheck"] = {"disable": True}
    elif "healthcheck" in service:
        # Swarm replaces a task whose check fails (Compose only marks it):
        # a JVM slow to start and a check slow to answer on a busy host get
        # more time (Keystone's first start took over 5 min at load 55 here);
        # checks every 15 s, as a node runs many of them.
        service["healthcheck"] = {**service["healthcheck"], "interval": "15s", "timeout": "30s",
                                  "retries": 10, "start_period": "600s"}
    service["ports"] = [{"target": port["target"], "published": int(port["published"]),
                         "protocol": port.get("protocol", "tcp"), "mode": "host"}
                        for port in compose_service.get("ports", [])]
    return service


# Swarm ignores these (security_opt: the nodes' engines set no-new-privileges
# instead; pull_policy: the nodes are handed the images, and deploy resolves
# none), or, for networks, the stack's default overlay network is the one
# wanted. A read-only root needs tmpfs folders owned by the service user, and
# `stack deploy` passes a tmpfs neither an owner nor a mode (it is root's,
# 0755): on Swarm the images write to their own folders in the container.
IGNORED = ("build", "depends_on", "restart", "networks", "tmpfs", "read_only", "security_opt", "container_name",
           "pull_policy")


def deploy(root: Path, manager_address: str) -> None:
    """`docker stack deploy` of the stack file, handed over on stdin (it holds passwords)."""
    config = stack_config(root, manager_address)
    checked(docker("stack", "deploy", "--resolve-image", "never", "--prune", "--compose-file", "-", STACK,
                   host=manager_address, input=json.dumps(config)), "docker stack deploy")


def unconverged(manager_address: str) -> list[str]:
    """Services not yet where they should be: a job's task (restart on
    failure only) not Complete, a service's tasks not all running (a task
    with a health check runs once healthy)."""
    listed = docker("service", "ls", "--format", "{{.Name}} {{.Replicas}}", host=manager_address)
    if listed.returncode != 0:
        return ["the manager"]
    behind = []
    for line in listed.stdout.splitlines():
        name, replicas = line.split()[:2]
        running, wanted = replicas.split("/")
        if is_job(manager_address, name):
            states = docker("service", "ps", "--format", "{{.CurrentState}}", name, host=manager_address).stdout
            if not states.startswith("Complete"):      # its newest task
                behind.append(f"{name} (not complete)")
        elif running != wanted:
            behind.append(f"{name} {replicas}")
    return behind


def is_job(manager_address: str, service: str) -> bool:
    condition = docker("service", "inspect", "--format", "{{.Spec.TaskTemplate.RestartPolicy.Condition}}",
                       service, host=manager_address).stdout.strip()
    return condition == "on-failure"


def task_node(manager_address: str, service: str) -> str:
    """The node (hostname) running the service's first task that should run."""
    out = docker("service", "ps", "--filter", "desired-state=running", "--format", "{{.Node}}",
                 f"{STACK}_{service}", host=manager_address).stdout.split()
    return out[0] if out else ""


# --- the commands ------------------------------------------------------------

def up(root: Path, nodes: int) -> int:
    if nodes < 1:
        raise UserError("--nodes must be at least 1")
    if node_names():
        raise UserError(f"a swarm cluster exists ({', '.join(node_names())}): `monasca-docker cluster down "
                        f"--kind swarm` first")
    started = time.monotonic()
    addresses = start_nodes(root, nodes)
    form(addresses)
    print(f"swarm of {nodes} formed in {time.monotonic() - started:.0f} s")
    hand_images(root, addresses)
    deploy(root, addresses[0])
    wait_for(lambda: unconverged(addresses[0]) == [], 900, "the stack converging", interval=5)
    print(ready_message(root, addresses[0]))
    return 0


def ready_message(root: Path, manager_address: str) -> str:
    values = stack.env_values(root)
    return f"""
Monasca is up on a swarm of {len(node_names())} ({time.strftime('%H:%M:%S')}).
  Manager:  export DOCKER_HOST=tcp://{manager_address}:2375      (docker node ls; docker stack ps {STACK})
  API:      http://{manager_address}:{values.get('MONASCA_API_PORT', '8070')}/v2.0  (on every node's address)
  Keystone: http://{manager_address}:{values.get('KEYSTONE_PORT', '5000')}/v3"""


def status(root: Path) -> int:
    names = node_names()
    if not names:
        print("no swarm cluster (monasca-docker cluster up --kind swarm)")
        return 1
    first = manager()
    print(docker("node", "ls", host=first).stdout.rstrip() or "the manager does not answer")
    problems = not_ready(first)
    if problems:
        print("not ready: " + "; ".join(problems), file=sys.stderr)
    return 1 if problems else 0


def down(root: Path) -> int:
    names = node_names()
    if names:
        docker("rm", "--force", "--volumes", *names)
    volumes = [name for name in docker("volume", "ls", "--quiet", "--filter", f"name={PREFIX}-node").stdout.split()]
    if volumes:
        docker("volume", "rm", *volumes)
    if docker("network", "inspect", PREFIX).returncode == 0:
        docker("network", "rm", PREFIX)
    remove_cgroups(PREFIX)
    return 0


def wait_for(probe, timeout: float, what: str, interval: float = 1) -> None:
    deadline = time.monotonic() + timeout
    while not probe():
        if time.monotonic() > deadline:
            raise UserError(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(interval)
