"""monasca/zookeeper: a standalone server that answers clients, clean stop."""
import textwrap
import time
import uuid

import pytest

from tests.support import build, docker, wait_healthy

IMAGE = "monasca/zookeeper:latest"


@pytest.fixture(scope="module")
def zookeeper_image(base_image):
    build("zookeeper")
    return IMAGE


@pytest.fixture(scope="module")
def server(zookeeper_image):
    suffix = uuid.uuid4().hex[:8]
    network, name = f"zookeeper-test-{suffix}", f"zookeeper-test-{suffix}"
    docker("network", "create", network)
    try:
        docker("run", "-d", "--name", name, "--network", network, "--network-alias", "zookeeper",
               "--health-interval", "2s", "-e", "ZOO_MAX_CLIENT_CNXNS=7", zookeeper_image)
        wait_healthy(name)
        yield {"name": name, "network": network}
    finally:
        docker("rm", "-f", "-v", name, check=False)
        docker("network", "rm", network, check=False)


# Four-letter words from another container on the network.
FOUR_LETTERS = textwrap.dedent("""
    import socket, sys
    for word in sys.argv[1:]:
        sock = socket.create_connection(("zookeeper", 2181), timeout=10)
        sock.sendall(word.encode())
        data = b""
        while chunk := sock.recv(4096):
            data += chunk
        print(word, data.decode())
""")


def test_answers_four_letter_words_from_the_network(server):
    out = docker("run", "--rm", "--network", server["network"], IMAGE, "python3", "-c",
                 FOUR_LETTERS, "ruok", "srvr", "stat", timeout=60).stdout
    assert "ruok imok" in out
    assert "Mode: standalone" in out
    assert "stat is not executed because it is not in the whitelist" in out


def test_a_client_writes_a_znode_that_survives_a_restart(server):
    create = docker("exec", server["name"], "java", "-cp", "/usr/share/java/zookeeper.jar",
                    "org.apache.zookeeper.ZooKeeperMain", "-server", "127.0.0.1:2181",
                    "create", "/monasca-test", "hello", check=False, timeout=90)
    assert "Created /monasca-test" in create.stdout + create.stderr, create.stdout + create.stderr

    started = time.monotonic()
    docker("stop", "-t", "20", server["name"], timeout=60)
    assert time.monotonic() - started < 20
    assert docker("inspect", "-f", "{{.State.ExitCode}}", server["name"]).stdout.strip() == "0"
    docker("start", server["name"])
    wait_healthy(server["name"])
    get = docker("exec", server["name"], "java", "-cp", "/usr/share/java/zookeeper.jar",
                 "org.apache.zookeeper.ZooKeeperMain", "-server", "127.0.0.1:2181",
                 "get", "/monasca-test", check=False, timeout=90)
    assert "hello" in get.stdout, get.stdout + get.stderr


def test_configuration_comes_from_the_environment(server):
    cfg = docker("exec", server["name"], "cat", "/etc/monasca/zoo.cfg").stdout
    assert "maxClientCnxns=7" in cfg
    assert "dataDir=/var/lib/monasca/zookeeper/data" in cfg
