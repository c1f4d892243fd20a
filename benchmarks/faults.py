#!/usr/bin/env python3
"""Figures for crashes in the single-node stack: what is posted, accepted and queryable.

    .venv/bin/python benchmarks/faults.py [--count N] [--rate R] [SERVICE ...]

Run from the checkout with the stack up and healthy (`monasca-docker up`).
For each service (default: api kafka persister influxdb), one client streams
N metrics in batches of 20 at R metrics/s through the published API and
retries a batch until it is accepted, as the agent's forwarder does; a
quarter of the way in, the service's container init is SIGKILLed from the
host, as a crash would, and its restart policy brings it back. The line per
service gives posted / accepted / queryable, the failed POST attempts, the
seconds until the API accepted again and until every accepted metric was
queryable. The experiment is tests/stack/faults.py, the one the fault tests
assert on.
"""
import argparse
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monasca_docker import stack  # noqa: E402
from tests.stack import faults  # noqa: E402
from tests.stack.conftest import user_session  # noqa: E402


def wait_healthy(timeout=300):
    deadline = time.monotonic() + timeout
    while subprocess.run([str(ROOT / ".venv/bin/monasca-docker"), "status"], cwd=ROOT,
                         capture_output=True).returncode != 0:
        if time.monotonic() > deadline:
            sys.exit(f"the stack is not healthy after {timeout}s: see `monasca-docker status`")
        time.sleep(3)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("services", nargs="*", default=["api", "kafka", "persister", "influxdb"])
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=300.0)
    args = parser.parse_args()
    values = stack.env_values(ROOT)
    urls = stack.endpoints(values)
    run = uuid.uuid4().hex[:8]
    for service in args.services:
        wait_healthy()
        token = user_session(urls["keystone"], values["MONASCA_USER_PASSWORD"]).get_token()
        print(faults.run(urls["api"], token, service, f"bench.faults.{service}_{run}",
                         count=args.count, rate=args.rate), flush=True)
    wait_healthy()


if __name__ == "__main__":
    main()
