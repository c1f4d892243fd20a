import os
import shutil
import socket
import subprocess
import time

import pytest

from ..support import CLI, ROOT, docker, free_port

USER, PASSWORD = "ci-publisher", "loopback-only-secret"


@pytest.fixture(scope="session")
def loopback_registry(tmp_path_factory):
    """A real registry (Debian's docker-registry) with htpasswd auth on 127.0.0.1."""
    for tool, package in (("docker-registry", "docker-registry"), ("htpasswd", "apache2-utils"),
                          ("skopeo", "skopeo")):
        assert shutil.which(tool), f"{tool} missing: apt-get install {package} (scripts/bootstrap does)"
    work = tmp_path_factory.mktemp("registry")
    subprocess.run(["htpasswd", "-Bbc", str(work / "htpasswd"), USER, PASSWORD],
                   check=True, capture_output=True)
    port = free_port()
    (work / "config.yml").write_text(f"""\
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: {work / "data"}
http:
  addr: 127.0.0.1:{port}
auth:
  htpasswd:
    realm: monasca-test
    path: {work / "htpasswd"}
""")
    server = subprocess.Popen(["docker-registry", "serve", str(work / "config.yml")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
        assert server.poll() is None, "docker-registry exited"
        assert time.monotonic() < deadline, "docker-registry did not start"
        time.sleep(0.1)
    yield f"127.0.0.1:{port}"
    server.terminate()
    server.wait()
    # What the tests pushed is tagged with this registry in the engine too: untag it.
    pushed = docker("images", "--format", "{{.Repository}}:{{.Tag}}", "--filter", f"reference=127.0.0.1:{port}/*/*")
    for ref in pushed.stdout.split():
        docker("image", "rm", ref, check=False)


def run_cli(*args, creds=True, env=None):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MONASCA_REGISTRY_")}
    if creds:
        environment.update(MONASCA_REGISTRY_USER=USER, MONASCA_REGISTRY_PASSWORD=PASSWORD)
    environment.update(env or {})
    return subprocess.run([CLI, *args], cwd=ROOT, capture_output=True, text=True, env=environment)
