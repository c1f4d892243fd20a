"""monasca/tempest-tests runs monasca-tempest-plugin's whole API and log test packages against the stack.

Every test of `monasca_tempest_tests.tests.api` is selected; none is left out
by a regex. A test may only be skipped for a service that tempest.conf says
is absent. Two workers fit the two cores that also run the stack (the tests
spend most of their time waiting for the persister and the threshold engine);
the run has 40 minutes, inside CI's 90 (the whole package, alarm tests
included, took 9 minutes here).
"""
import re
import uuid
from urllib.parse import urlsplit

from monasca_docker import stack

from .conftest import NETWORK, docker

API_PACKAGE = r"^monasca_tempest_tests\.tests\.api\."
CONCURRENCY = 2
TIMEOUT = 40 * 60
# The only skips of the API package that tempest's configuration decides:
# [service_available] monasca = false. The stack has the API, so none is expected.
CONFIGURED_SKIPS = ("Monasca support is required",)


def counts(output):
    found = {}
    for kind in ("Passed", "Failed", "Skipped"):
        match = re.search(rf"^ - {kind}: (\d+)$", output, re.MULTILINE)
        found[kind.lower()] = int(match.group(1)) if match else None
    return found


def run_tempest(running_stack, regex, *args):
    """(exit status, output) of one run of the tempest-tests image as the admin; args go to `docker run`."""
    name = f"tempest-{uuid.uuid4().hex[:8]}"
    try:
        result = docker("run", "--rm", "--name", name, *args,
                        "-e", "KEYSTONE_ADMIN_USER=admin", "-e", "KEYSTONE_ADMIN_PROJECT=admin",
                        "-e", f"KEYSTONE_ADMIN_PASSWORD={running_stack['KEYSTONE_ADMIN_PASSWORD']}",
                        "-e", f"TEMPEST_CONCURRENCY={CONCURRENCY}", "-e", f"TEMPEST_REGEX={regex}",
                        "monasca/tempest-tests:latest", check=False, timeout=TIMEOUT)
    finally:
        docker("rm", "-f", name, check=False)     # a run cut by the timeout would go on
    output = result.stdout + result.stderr
    assert running_stack["KEYSTONE_ADMIN_PASSWORD"] not in output
    return result.returncode, output


def test_plugin_api_package_passes_against_the_stack(running_stack):
    returncode, output = run_tempest(running_stack, API_PACKAGE, "--network", NETWORK,
                                     "-e", "MONASCA_URL=http://api:8070")
    found = counts(output)
    failures = re.findall(r"^\{\d+\} (.*?) \[[^\]]*\] \.\.\. FAILED", output, re.MULTILINE)
    assert returncode == 0 and found["failed"] == 0, (found, failures, output[-6000:])
    assert found["passed"] and found["passed"] >= 200, (found, output[-3000:])
    skips = re.findall(r"\.\.\. SKIPPED: (.*)$", output, re.MULTILINE)
    unexplained = [reason for reason in skips if not reason.startswith(CONFIGURED_SKIPS)]
    assert not unexplained, unexplained


LOG_PACKAGE = r"^monasca_tempest_tests\.tests\.log_api\."
LOG_TESTS = 13      # 5 constraints of the log API, 7 single logs searched, 1 of unicode messages


def test_plugin_log_package_passes_with_the_logs_search(running_stack):
    """Every test of the log package, the searching ones included: none skipped.

    The plugin's log clients give tempest no region, and tempest then takes
    the first endpoint Keystone lists for the service, public or internal,
    whatever the endpoint type. So the run is on the host's network, where
    the public endpoints (the published ports) answer, and the services'
    internal names lead there too."""
    urls = stack.endpoints(running_stack)
    host = urlsplit(urls["keystone"]).hostname
    returncode, output = run_tempest(running_stack, LOG_PACKAGE, "--network", "host",
                                     "--add-host", f"log-api:{host}", "--add-host", f"log-search:{host}",
                                     "-e", f"KEYSTONE_IDENTITY_URI={urls['keystone'].removesuffix('/v3')}",
                                     "-e", "ENDPOINT_TYPE=public", "-e", f"MONASCA_URL={urls['api']}",
                                     "-e", "MONASCA_LOGS_SEARCH_AVAILABLE=true")
    found = counts(output)
    failures = re.findall(r"^\{\d+\} (.*?) \[[^\]]*\] \.\.\. FAILED", output, re.MULTILINE)
    assert returncode == 0 and found["failed"] == 0, (found, failures, output[-6000:])
    assert found["passed"] == LOG_TESTS and not found["skipped"], (found, output[-3000:])
