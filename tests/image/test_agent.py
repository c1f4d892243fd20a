"""monasca/agent-collector, agent-forwarder and statsd (FROM agent-base) at start."""
import time
import uuid

import pytest

from tests.support import build, docker

SECRET = 'agent-"secret&1'


@pytest.fixture(scope="module")
def agent_images(base_image):
    """The three agent images (and agent-base on the way), built by the CLI."""
    build("agent-collector", "agent-forwarder", "statsd")
    return {"collector": "monasca/agent-collector:latest",
            "forwarder": "monasca/agent-forwarder:latest",
            "statsd": "monasca/statsd:latest"}


def env_args(env):
    return [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]


def run(image, env, *extra):
    return docker("run", "--rm", *env_args(env), *extra, image, check=False, timeout=120)


@pytest.fixture
def container():
    """Start detached containers; remove them (and a network) afterwards."""
    names, networks = [], []

    def start(image, env, *extra, command=()):
        name = f"monasca-test-agent-{uuid.uuid4().hex[:8]}"
        docker("run", "-d", "--name", name, *env_args(env), *extra, image, *command)
        names.append(name)
        return name

    def network():
        name = f"monasca-test-agent-{uuid.uuid4().hex[:8]}"
        docker("network", "create", name)
        networks.append(name)
        return name

    start.network = network
    yield start
    for name in names:
        docker("rm", "-f", "-v", name, check=False)
    for name in networks:
        docker("network", "rm", name, check=False)


def wait_for_log(name, text, seconds=60):
    deadline = time.monotonic() + seconds
    while True:
        logs = docker("logs", name, check=False)
        output = logs.stdout + logs.stderr
        if text in output:
            return output
        state = docker("inspect", "-f", "{{.State.Running}}", name).stdout.strip()
        assert state == "true" or text in output, f"{name} stopped:\n{output}"
        assert time.monotonic() < deadline, f"no {text!r} from {name}:\n{output}"
        time.sleep(0.5)


def health(name):
    return docker("exec", name, "monasca-health", check=False)


# The forwarder without its wait: Keystone and the API are not part of
# these tests, but the forwarder's port is.
FORWARDER_WITHOUT_WAIT = ("sh", "-c",
                          "templer -t -f -c /etc/monasca/agent-base/templates/defaults.yml "
                          "-c /etc/monasca/templates/defaults.yml /etc/monasca/agent-base/templates "
                          "/etc/monasca/templates /etc/monasca && exec monasca-forwarder")


@pytest.mark.parametrize("which", ["collector", "forwarder"])
def test_missing_os_password_stops_the_start_and_names_it(agent_images, which):
    result = run(agent_images[which], {})
    assert result.returncode != 0
    assert "OS_PASSWORD is required" in result.stderr


def test_statsd_needs_no_password_and_waits_for_the_forwarder(agent_images):
    result = run(agent_images["statsd"], {"MONASCA_WAIT_TIMEOUT": "3",
                                          "FORWARDER_URL": "http://127.0.0.1:1"})
    assert result.returncode != 0
    assert "OS_PASSWORD" not in result.stderr
    assert "http://127.0.0.1:1/intake#status=405" in result.stderr


def test_forwarder_names_keystone_and_api_and_never_the_password(agent_images):
    result = run(agent_images["forwarder"], {"OS_PASSWORD": SECRET, "MONASCA_WAIT_TIMEOUT": "3",
                                             "OS_AUTH_URL": "http://127.0.0.1:1/v3/"})
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert ("keystone+http://127.0.0.1:1/v3?user=monasca-agent&password=${OS_PASSWORD}"
            "&project=mini-mon") in output
    assert "http://monasca:8070/v2.0#status=200,401: cannot resolve host name" in output
    assert SECRET not in output


def test_collector_waits_for_the_forwarder(agent_images):
    result = run(agent_images["collector"], {"OS_PASSWORD": SECRET, "MONASCA_WAIT_TIMEOUT": "3",
                                             "FORWARDER_URL": "http://127.0.0.1:1"})
    assert result.returncode != 0
    assert "http://127.0.0.1:1/intake#status=405" in result.stderr
    assert SECRET not in result.stdout + result.stderr


def test_monasca_monitoring_requires_the_mysql_password(agent_images):
    result = run(agent_images["collector"], {"OS_PASSWORD": SECRET, "MONASCA_MONITORING": "true"})
    assert result.returncode != 0
    assert "MYSQL_PASSWORD is required" in result.stderr
    # a typed boolean: "off" is false, so no MySQL check and no password needed
    result = run(agent_images["collector"], {"OS_PASSWORD": SECRET, "MONASCA_MONITORING": "off",
                                             "MONASCA_WAIT_TIMEOUT": "1",
                                             "FORWARDER_URL": "http://127.0.0.1:1"})
    assert "MYSQL_PASSWORD" not in result.stderr
    assert "/intake#status=405" in result.stderr


def test_collector_feeds_a_forwarder_with_typed_switches(agent_images, container):
    net = container.network()
    forwarder = container(agent_images["forwarder"], {"OS_PASSWORD": SECRET, "LOG_LEVEL": "info"},
                          "--network", net, "--network-alias", "agent-forwarder",
                          command=FORWARDER_WITHOUT_WAIT)
    wait_for_log(forwarder, "Listening on port 17123")
    collector = container(agent_images["collector"],
                          {"OS_PASSWORD": SECRET, "FORWARDER_URL": "http://agent-forwarder:17123",
                           "NETWORK": "no", "PROMETHEUS": "1",
                           "PROMETHEUS_ENDPOINTS": "http://127.0.0.1:1/metrics|a=b",
                           "DIMENSIONS": "service=monitoring, role=agent test",
                           "CHECK_FREQ": "5", "LOG_LEVEL": "info"},
                          "--network", net)
    output = wait_for_log(collector, "start.sh: checks:")
    assert "start.sh: checks: cpu disk load memory prometheus\n" in output
    # monasca-wait speaks after start.sh's line: wait for it rather than race it
    output = wait_for_log(collector, "monasca-wait: up:")
    assert "monasca-wait: up: http://agent-forwarder:17123/intake#status=405" in output
    wait_for_log(collector, "Finished run #1")
    assert health(collector).returncode == 0
    assert health(forwarder).returncode == 0
    # every string is written as JSON: the password and dimensions survive
    config = docker("exec", collector, "python3", "-c",
                    "import json, yaml; c = yaml.safe_load(open('/etc/monasca/agent/agent.yaml'));"
                    "print(json.dumps([c['Api']['password'], c['Main']['dimensions']]))").stdout
    assert config.strip() == ('["agent-\\"secret&1", '
                              '{"service": "monitoring", "role": "agent test"}]')
    # the forwarder took the collector's measurements (an empty post is not logged)
    forwarder_logs = docker("logs", forwarder).stderr
    assert "Error parsing body" not in forwarder_logs


def test_statsd_listens_and_reports_healthy(agent_images, container):
    name = container(agent_images["statsd"], {"STATSD_WAIT_FOR_FORWARDER": "false", "LOG_LEVEL": "info"})
    wait_for_log(name, "Listening on host & port: ('', 8125)")
    assert health(name).returncode == 0
    config = docker("exec", name, "cat", "/etc/monasca/agent/agent.yaml").stdout
    assert "Api:" not in config
    assert "non_local_traffic: true" in config


def test_forwarder_health_fails_without_the_forwarder(agent_images, container):
    name = container(agent_images["forwarder"], {"OS_PASSWORD": SECRET},
                     command=("sleep", "60"))
    result = health(name)
    assert result.returncode != 0
    assert "tcp://127.0.0.1:17123" in result.stdout + result.stderr
