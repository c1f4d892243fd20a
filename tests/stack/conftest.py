"""The running single-node stack, for the smoke test.

If the stack is not up, the package's tests start it with `monasca-docker up`
and take it down (with its volumes) when they end, so that the tests after
them do not share the machine with it; a stack that was already up
(`monasca-docker smoke`) is used as it is and left running.
"""
import subprocess
import time
import uuid

import pytest
from keystoneauth1 import session
from keystoneauth1.identity import v3
from monascaclient import client as monasca_client

from monasca_docker import stack
from tests.support import CLI, ROOT, docker

NETWORK = f"{stack.PROJECT}_default"


def api_is_healthy():
    result = docker("inspect", "--format", "{{.State.Health.Status}}", f"{stack.PROJECT}-api-1", check=False)
    return result.stdout.strip() == "healthy"


@pytest.fixture(scope="package")
def started_here():
    """True when the tests started the stack (and take it down at the end)."""
    stack.check_owner(ROOT)      # another checkout's stack has other passwords
    started = not api_is_healthy()
    if started:
        result = subprocess.run([CLI, "up"], cwd=ROOT, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    yield started
    if started:
        subprocess.run([CLI, "down", "--volumes"], cwd=ROOT, capture_output=True)


@pytest.fixture(scope="package")
def running_stack(started_here):
    return stack.env_values(ROOT)


@pytest.fixture(scope="package")
def keystone_url(running_stack):
    return stack.endpoints(running_stack)["keystone"]


def user_session(keystone_url, password, user="mini-mon", project="mini-mon"):
    auth = v3.Password(auth_url=keystone_url, username=user, password=password, project_name=project,
                       user_domain_name="Default", project_domain_name="Default")
    return session.Session(auth=auth)


def user_client(values, keystone_url):
    """python-monascaclient as the monasca user, against the published API port, with a session of
    its own: keystoneauth's re-authentication after a 401 is not safe between threads."""
    sess = user_session(keystone_url, values["MONASCA_USER_PASSWORD"])
    return monasca_client.Client("2_0", session=sess, endpoint=stack.endpoints(values)["api"])


@pytest.fixture(scope="package")
def monasca(running_stack, keystone_url):
    return user_client(running_stack, keystone_url)


def eventually(probe, timeout, what, interval=2):
    """probe()'s first truthy result within timeout; a failure that says what never came."""
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval)
    pytest.fail(f"{what} did not happen within {timeout}s (last seen: {last!r})")


def in_network(python_code, *, image="monasca/base:latest", name=None, detach=False):
    """Run Python in a container on the stack's network (kafka-python is in monasca/base)."""
    args = ["run", "--network", NETWORK, "--entrypoint", "python3"]
    args += ["--name", name] if name else []
    args += ["-d"] if detach else ["--rm"]
    return docker(*args, image, "-c", python_code, timeout=120)


@pytest.fixture
def unique():
    return uuid.uuid4().hex[:10]



@pytest.fixture
def disposable(started_here):
    """For a test that takes the stack down: only on a stack the tests started, never on one of yours."""
    if not started_here:
        pytest.skip("this test takes the stack down: it runs only on a stack the tests started")
