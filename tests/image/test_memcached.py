"""monasca/memcached: limits from the environment, a real client, clean stop."""
import textwrap
import time
import uuid

import pytest

from tests.image import built_image
from tests.support import docker, wait_healthy

IMAGE = "monasca/memcached:latest"


memcached_image = built_image("memcached")


@pytest.fixture
def server(memcached_image):
    suffix = uuid.uuid4().hex[:8]
    network, name = f"memcached-test-{suffix}", f"memcached-test-{suffix}"
    docker("network", "create", network)
    try:
        docker("run", "-d", "--name", name, "--network", network, "--network-alias", "memcached",
               "--health-interval", "1s", "-e", "MEMCACHED_MEMORY=32",
               "-e", "MEMCACHED_MAX_CONNECTIONS=100", memcached_image)
        yield {"name": name, "network": network}
    finally:
        docker("rm", "-f", "-v", name, check=False)
        docker("network", "rm", network, check=False)


# A memcached client in another container on the network: set, get, settings.
CLIENT = textwrap.dedent("""
    import socket, time
    sock = socket.create_connection(("memcached", 11211), timeout=10)
    sock.sendall(b"set token 0 60 5\\r\\nvalue\\r\\nget token\\r\\nstats settings\\r\\nquit\\r\\n")
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    print(data.decode())
""")


def test_serves_clients_with_limits_from_the_environment(server):
    wait_healthy(server["name"])
    out = docker("run", "--rm", "--network", server["network"], IMAGE, "python3", "-c", CLIENT,
                 timeout=60).stdout
    assert "STORED" in out and "VALUE token 0 5\nvalue" in out
    assert f"STAT maxbytes {32 * 1024 * 1024}" in out
    assert "STAT maxconns 100" in out
    assert "STAT udpport 0" in out
    top = [line for line in docker("top", server["name"]).stdout.splitlines() if "memcached --listen" in line]
    assert top and top[0].split()[0] == "42400"   # monasca, not root


def test_stop_is_clean(server):
    wait_healthy(server["name"])
    started = time.monotonic()
    docker("stop", "-t", "10", server["name"], timeout=30)
    assert time.monotonic() - started < 5
    assert docker("inspect", "-f", "{{.State.ExitCode}}", server["name"]).stdout.strip() == "0"
