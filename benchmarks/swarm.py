#!/usr/bin/env python3
"""The stack on a Docker Swarm of three node containers, timed phase by phase:

1. three engines started and the swarm formed (node image cached);
2. the stack's images handed to the nodes (docker save | docker load);
3. `docker stack deploy` to every service converged, its jobs complete;
4. node loss: the worker node3 stopped until the manager reports it Down,
   and started until it is Ready again with its API task answering.

The same steps as `monasca-docker cluster up --kind swarm`, called one by
one; leaves no cluster behind:

    .venv/bin/python benchmarks/swarm.py
"""
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
from monasca_docker.cluster import swarm  # noqa: E402


def timed(step):
    started = time.monotonic()
    result = step()
    return time.monotonic() - started, result


def api_answers(node):
    try:
        return requests.get(f"http://{node}:8070/v2.0/metrics", timeout=5).status_code == 401
    except requests.RequestException:
        return False


def main():
    swarm.down(ROOT)
    try:
        formed, nodes = timed(lambda: swarm.form(swarm.start_nodes(ROOT, 3)) or
                              [swarm.address(name) for name in swarm.node_names()])
        handed, _ = timed(lambda: swarm.hand_images(ROOT, nodes))
        converged, _ = timed(lambda: swarm.deploy(ROOT, nodes[0]) or
                             swarm.wait_for(lambda: swarm.unconverged(nodes[0]) == [], 1800, "converging", 5))
        swarm.docker("stop", f"{swarm.PREFIX}-node3")
        down, _ = timed(lambda: swarm.wait_for(lambda: swarm.not_ready(nodes[0]) != [], 120, "node3 Down"))
        swarm.docker("start", f"{swarm.PREFIX}-node3")
        ready, _ = timed(lambda: swarm.wait_for(lambda: swarm.not_ready(nodes[0]) == [], 120, "node3 Ready"))
        node3 = swarm.address(f"{swarm.PREFIX}-node3")
        serving, _ = timed(lambda: swarm.wait_for(lambda: api_answers(node3), 600, "node3's API"))
    finally:
        swarm.down(ROOT)
    print(f"3 engines started, swarm formed:   {formed:7.1f} s\n"
          f"images handed to the nodes:        {handed:7.1f} s\n"
          f"stack deployed to converged:       {converged:7.1f} s\n"
          f"node3 stopped to Down:             {down:7.1f} s\n"
          f"node3 started to Ready:            {ready:7.1f} s\n"
          f"  and its API task answering:      {ready + serving:7.1f} s")


if __name__ == "__main__":
    main()
