"""The stack on a Docker Swarm of three engines (`monasca-docker cluster up --kind swarm`).

One test, in the order a user meets it: the swarm up and the stack converged
(its jobs complete), the smoke check through the API, then a worker stopped:
the API still answers on the other nodes, and every metric it acknowledged,
before and during the loss, becomes queryable; the worker started again is
Ready and serves its API once more. Each phase's time is printed (-s).
"""
import subprocess
import time
import uuid

import pytest
import requests
from monascaclient import client as monasca_client

from monasca_docker import stack
from monasca_docker.cluster import swarm
from tests.stack.conftest import eventually, user_session
from tests.stack.test_smoke import measurements
from tests.support import CLI, ROOT, docker


def cluster(*args):
    return subprocess.run([CLI, "cluster", *args, "--kind", "swarm"], cwd=ROOT, capture_output=True, text=True)


@pytest.fixture(scope="module")
def manager():
    assert not swarm.node_names(), "a swarm cluster exists: `monasca-docker cluster down --kind swarm` first"
    started = time.monotonic()
    result = cluster("up", "--nodes", "3")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    print(f"\nswarm up and stack converged in {time.monotonic() - started:.0f} s")
    yield swarm.manager()
    cluster("down")
    assert not swarm.node_names()


def api(node):
    return f"http://{node}:{stack.env_values(ROOT).get('MONASCA_API_PORT', '8070')}/v2.0"


def api_refuses_without_token(node):
    """The node's API task answers (401: no token), or False."""
    try:
        return requests.get(f"{api(node)}/metrics", timeout=5).status_code == 401
    except requests.RequestException:
        return False


def post(monasca, name, run, values):
    """POST the values as one metric's measurements; True when the API acknowledged them."""
    now = int(time.time() * 1000)
    monasca.metrics.create(jsonbody=[{"name": name, "dimensions": {"run": run}, "timestamp": now + i,
                                      "value": float(v)} for i, v in enumerate(values)])
    return list(values)


def test_stack_on_a_swarm_survives_losing_a_node(manager):
    values = stack.env_values(ROOT)
    assert cluster("status").returncode == 0
    nodes = [swarm.address(name) for name in swarm.node_names()]
    assert len(nodes) == 3 and swarm.unconverged(manager) == []
    assert all(api_refuses_without_token(node) for node in nodes)      # the API on every node

    # The smoke check: a metric POSTed through the API comes back from it.
    session = user_session(f"http://{manager}:{values.get('KEYSTONE_PORT', '5000')}/v3",
                           values["MONASCA_USER_PASSWORD"])
    monasca = monasca_client.Client("2_0", session=session, endpoint=api(manager))
    name, run = "swarm.node_loss", uuid.uuid4().hex[:10]
    acknowledged = post(monasca, name, run, range(3))
    eventually(lambda: len(measurements(monasca, name, run=run)) == 3, 120, "the posted metric becoming queryable")

    # A worker stopped: the one running the persister, if a worker does.
    victim = swarm.task_node(manager, "persister")
    victim = victim if victim != "node1" else "node3"
    container = f"{swarm.PREFIX}-{victim}"
    stopped = time.monotonic()
    docker("stop", container)
    others = [node for node in nodes if api_refuses_without_token(node)]
    assert len(others) == 2, "the API does not answer on the two nodes left"
    acknowledged += post(monasca, name, run, range(3, 6))
    eventually(lambda: cluster("status").returncode != 0, 60, f"{victim} reported not Ready")
    eventually(lambda: sorted(p[1] for p in measurements(monasca, name, run=run)) == [float(v) for v in acknowledged],
               600, "every acknowledged measurement queryable while a node is down")
    print(f"\nnode loss: all {len(acknowledged)} acknowledged measurements queryable "
          f"{time.monotonic() - stopped:.0f} s after the stop")

    docker("start", container)
    back = time.monotonic()
    eventually(lambda: cluster("status").returncode == 0, 120, f"{victim} Ready again")
    eventually(lambda: api_refuses_without_token(swarm.address(container)), 300, f"the API on {victim} again")
    print(f"node back: Ready and serving its API {time.monotonic() - back:.0f} s after the start")
