"""Keystone's catalog as each kind of client needs it: python-monascaclient's
`monasca` CLI on the host, logged in exactly as `monasca-docker up` prints,
reaches the API through the catalog's public endpoints (the published ports);
the client image on the stack's network through the internal ones."""
import importlib.metadata
import json
import time

import pytest

from monasca_docker import catalog, stack
from tests.support import ROOT, as_printed

from .conftest import eventually, user_session

INTERNAL = {"identity": "http://keystone:5000", "monitoring": "http://api:8070/v2.0",
            "logs": "http://log-api:5607/v2.0"}


@pytest.fixture(scope="module")
def printed(running_stack):
    """The text `up` prints for this stack."""
    return stack.ready_message(ROOT, running_stack)


def cli(printed, *args):
    """`monasca ARGS --json` on the host, in a shell that ran the printed login lines: its output."""
    result = as_printed(ROOT, printed, "monasca", *args, "--json")
    assert result.returncode == 0, f"monasca {' '.join(args)}: {result.stdout}{result.stderr}"
    return result.stdout


def cli_json(printed, *args):
    return json.loads(cli(printed, *args))


def test_the_host_cli_is_the_client_images_release():
    assert importlib.metadata.version("python-monascaclient") == catalog.load(ROOT)["client"].version


def test_public_endpoints_are_the_printed_addresses_internal_ones_the_service_names(running_stack,
                                                                                    keystone_url):
    sess = user_session(keystone_url, running_stack["MONASCA_USER_PASSWORD"])
    entries = sess.auth.get_access(sess).service_catalog
    urls = stack.endpoints(running_stack)
    public = {"identity": urls["keystone"].removesuffix("/v3"), "monitoring": urls["api"], "logs": urls["log_api"]}
    for kind in INTERNAL:
        assert entries.url_for(service_type=kind, interface="public") == public[kind]
        assert entries.url_for(service_type=kind, interface="internal") == INTERNAL[kind]
        assert entries.url_for(service_type=kind, interface="admin") == INTERNAL[kind]


def test_the_host_cli_as_printed_creates_and_lists(printed, unique):
    name = f"hostcli.metric_{unique}"
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))
    created = cli(printed, "metric-create", name, "42.5", "--dimensions", f"run={unique}")
    assert "Successfully created metric" in created

    metrics = eventually(lambda: cli_json(printed, "metric-list", "--name", name), 90, "the metric listed")
    assert [(m["name"], m["dimensions"]) for m in metrics] == [(name, {"run": unique})]
    series = cli_json(printed, "measurement-list", name, started, "--dimensions", f"run={unique}")
    assert [point[1] for point in series[0]["measurements"]] == [42.5]

    method = cli_json(printed, "notification-create", f"hostcli-{unique}", "WEBHOOK",
                      f"http://hook.invalid/{unique}")
    try:
        assert (method["name"], method["type"]) == (f"hostcli-{unique}", "WEBHOOK")
        definition = cli_json(printed, "alarm-definition-create", f"hostcli-{unique}", f"max({name}) > 100",
                         "--alarm-actions", method["id"])
        try:
            assert definition["expression"] == f"max({name}) > 100"
            assert definition["alarm_actions"] == [method["id"]]
        finally:
            cli(printed, "alarm-definition-delete", definition["id"])
    finally:
        cli(printed, "notification-delete", method["id"])


def test_the_client_image_on_the_stacks_network_takes_the_internal_endpoints(printed, unique):
    """The `docker run` line `up` prints, as pasted after its login lines (the password in
    the environment, not on a command line; no pull, so never upstream's image)."""
    name = f"hostcli.internal_{unique}"
    lines = printed.splitlines()
    start = next(number for number, line in enumerate(lines) if line.strip().startswith("docker run"))
    command = " ".join(line.strip().rstrip("\\") for line in lines[start:start + 2])
    assert "--pull never" in command and command.endswith(" metric-list"), command

    def client(*args):
        """The printed line with args in place of its metric-list."""
        result = as_printed(ROOT, printed, "sh", "-c", command.removesuffix("metric-list") + '"$@"', "sh", *args,
                            timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
        return result

    client("metric-list")
    client("metric-create", name, "1", "--dimensions", f"run={unique}")
    listed = eventually(lambda: json.loads(client("metric-list", "--name", name, "--json").stdout), 90,
                        "the metric listed by the client image")
    assert [m["name"] for m in listed] == [name]
