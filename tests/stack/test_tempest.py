"""monasca/tempest-tests runs monasca-tempest-plugin's API tests against the stack."""
import re

from .conftest import NETWORK, docker

QUICK_TESTS = ("monasca_tempest_tests.tests.api.(test_versions|test_notification_method_type"
               "|test_read_only_role)")


def test_plugin_api_tests_pass_against_the_stack(running_stack):
    result = docker("run", "--rm", "--network", NETWORK,
                    "-e", "KEYSTONE_ADMIN_USER=admin", "-e", "KEYSTONE_ADMIN_PROJECT=admin",
                    "-e", f"KEYSTONE_ADMIN_PASSWORD={running_stack['KEYSTONE_ADMIN_PASSWORD']}",
                    "-e", "MONASCA_URL=http://api:8070", "-e", "TEMPEST_CONCURRENCY=1",
                    "-e", f"TEMPEST_REGEX={QUICK_TESTS}", "monasca/tempest-tests:latest",
                    check=False, timeout=900)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    passed = int(re.search(r"- Passed: (\d+)", output).group(1))
    assert passed >= 3, output[-2000:]
    assert running_stack["KEYSTONE_ADMIN_PASSWORD"] not in output
