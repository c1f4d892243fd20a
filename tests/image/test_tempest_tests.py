"""monasca/tempest-tests: the one-shot start path without a real Keystone or API."""

from tests.image import built_image
from tests.support import docker

IMAGE = "monasca/tempest-tests:latest"
RENDER = "templer -t -f -c /etc/monasca/templates/defaults.yml /etc/monasca/templates /etc/monasca"


image = built_image("tempest-tests")


def test_missing_password_is_named(image):
    result = docker("run", "--rm", image, check=False)
    assert result.returncode != 0
    assert "KEYSTONE_ADMIN_PASSWORD is required" in result.stderr


def test_wait_names_keystone_and_the_api(image):
    result = docker("run", "--rm", "-e", "KEYSTONE_ADMIN_PASSWORD=s3cret",
                    "-e", "MONASCA_WAIT_TIMEOUT=3", image, check=False)
    assert result.returncode != 0
    assert "keystone+http://keystone:5000/v3?user=admin" in result.stderr
    assert "http://monasca:8070/healthcheck" in result.stderr
    assert "s3cret" not in result.stdout + result.stderr


def test_api_wait_can_be_turned_off(image):
    result = docker("run", "--rm", "-e", "KEYSTONE_ADMIN_PASSWORD=s3cret", "-e", "MONASCA_WAIT_FOR_API=false",
                    "-e", "MONASCA_WAIT_TIMEOUT=3", image, check=False)
    assert result.returncode != 0
    assert "keystone+http://keystone:5000/v3" in result.stderr
    assert "healthcheck" not in result.stderr


def test_no_health_check(image):
    result = docker("inspect", "--format", "{{json .Config.Healthcheck}}", image)
    assert '"NONE"' in result.stdout


def test_rendered_config_selects_the_plugin_tests(image):
    """tempest reads the rendered tempest.conf (a $ in the password stays literal) and
    finds the plugin's API tests by TEMPEST_REGEX."""
    script = (RENDER + " && cat /etc/monasca/tempest.args"
              " && mkdir -p /var/lib/monasca/tempest && cd /var/lib/monasca/tempest"
              " && stestr init >/dev/null"
              " && tempest run --config-file /etc/monasca/tempest.conf"
              " --regex monasca_tempest_tests.tests.api.test_versions --list-tests"
              " && python -c 'from tempest import config;"
              " config.CONF.set_config_path(\"/etc/monasca/tempest.conf\"); c = config.CONF;"
              " print(\"conf\", c.identity.uri_v3, c.auth.use_dynamic_credentials,"
              " c.service_available.monasca, c.service_available.logs_search, c.auth.admin_password)'")
    result = docker("run", "--rm", "-e", "KEYSTONE_ADMIN_PASSWORD=pa$word", "-e", "TEMPEST_REGEX=a b|c",
                    "-e", "USE_DYNAMIC_CREDS=no", "--entrypoint", "sh", image, "-c", script, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "--regex=a b|c\n" in result.stdout
    assert "monasca_tempest_tests.tests.api.test_versions.TestVersions" in result.stdout
    assert "conf http://keystone:5000/v3 False True True pa$word\n" in result.stdout


KEYSTONE_STUB = r"""
import http.server, json
class Stub(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(201)
        self.send_header("X-Subject-Token", "t")
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps({"token": {"catalog": [], "roles": []}}).encode())
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", 5000), Stub).serve_forever()
"""


def test_start_runs_tempest_and_exits_with_its_result(image):
    """Past the waits (a stub answers as Keystone and as the API), start.sh execs
    `tempest run` on TEMPEST_REGEX; the stub's token is unusable, so the test
    fails and so does the container."""
    result = docker("run", "--rm", "-e", "KEYSTONE_ADMIN_PASSWORD=s3cret",
                    "-e", "KEYSTONE_IDENTITY_URI=http://127.0.0.1:5000",
                    "-e", "MONASCA_URL=http://127.0.0.1:5000/v2.0", "-e", "MONASCA_WAIT_TIMEOUT=20",
                    "-e", "TEMPEST_REGEX=monasca_tempest_tests.tests.api.test_versions",
                    "-e", "TEMPEST_CONCURRENCY=1", "-e", f"STUB={KEYSTONE_STUB}",
                    "--entrypoint", "sh", image, "-c", 'python -c "$STUB" & exec /start.sh',
                    check=False, timeout=300)
    out = result.stdout + result.stderr
    assert "monasca-wait: up: http://127.0.0.1:5000/healthcheck" in out
    assert "Totals" in out and "Ran: 1 tests" in out
    assert result.returncode != 0
