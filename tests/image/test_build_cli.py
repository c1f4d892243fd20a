"""`monasca-docker build`: secrets stay out of layers; failures say what to do."""
import hashlib
import json
import os
import subprocess
import uuid


from monasca_docker import engine

from tests.support import CLI, ROOT, docker


def run_cli(*args, cwd=ROOT, env=None):
    return subprocess.run([CLI, *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})})


def marked_ca_bundle(path):
    """The host's CA bundle plus a fresh self-signed certificate: bytes no layer can hold by chance."""
    key, cert = path.with_suffix(".key"), path.with_suffix(".pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", f"/CN=monasca-test-{uuid.uuid4().hex}", "-keyout", str(key),
                    "-out", str(cert)], check=True, capture_output=True)
    marker = cert.read_text().splitlines()[5]   # a line of the unique certificate's body
    path.write_text(open("/etc/ssl/certs/ca-certificates.crt").read() + cert.read_text())
    return marker.encode()


def test_ca_bundle_reaches_the_build_but_no_layer(base_image, tmp_path):
    bundle = tmp_path / "bundle.crt"
    marker = marked_ca_bundle(bundle)
    tag = f"monasca-test/ca-probe:{uuid.uuid4().hex[:8]}"
    probe = tmp_path / "context"
    probe.mkdir()
    # The same mount the images use; the build fails unless the secret is there
    # (checked by its hash: the bundle's own bytes must not appear in the Dockerfile).
    (probe / "Dockerfile").write_text(
        f"FROM {base_image}\n"
        "USER root\n"
        "RUN --mount=type=secret,id=ca-bundle,target=/run/secrets/ca-bundle \\\n"
        f"    echo '{hashlib.sha256(bundle.read_bytes()).hexdigest()}  /run/secrets/ca-bundle' | sha256sum -c \\\n"
        " && python3 -c \"import ssl, urllib.request; urllib.request.urlopen("
        "'https://pypi.org/simple/pip/', timeout=30, "
        "context=ssl.create_default_context(cafile='/run/secrets/ca-bundle'))\"\n")
    try:
        with open(tmp_path / "build.log", "w") as log:
            engine.build(probe, tag, build_args={}, labels={}, secrets={"ca-bundle": bundle},
                         no_cache=True, log=log)
        saved = tmp_path / "image.tar"
        docker("save", "--output", str(saved), tag)
        assert marker not in saved.read_bytes()
    finally:
        engine.remove_image(tag)


def test_base_build_leaves_the_ca_bundle_in_no_layer(base_image, tmp_path):
    saved = tmp_path / "base.tar"
    docker("save", "--output", str(saved), base_image)
    host_bundle = open("/etc/ssl/certs/ca-certificates.crt", "rb").read()
    # The last certificate body line of the host bundle, unique to that file's content.
    needle = [line for line in host_bundle.splitlines() if line and not line.startswith(b"-")][-1]
    assert needle not in saved.read_bytes()


def test_missing_engine_is_a_clear_error():
    result = run_cli("build", "base", env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
    assert result.returncode == 1
    assert "no Docker engine answers" in result.stderr
    assert "scripts/setup-engine" in result.stderr


def test_unknown_image_is_a_clear_error():
    result = run_cli("build", "bsae")
    assert result.returncode == 1
    assert "unknown image 'bsae'; did you mean 'base'?" in result.stderr


def test_failed_build_step_names_the_image_and_shows_the_log(tmp_path):
    project = tmp_path / "project"
    (project / "images" / "broken").mkdir(parents=True)
    (project / "images" / "catalog.toml").write_text(
        '[images.broken]\nrepository = "monasca-test/broken"\ntitle = "broken"\ndescription = "fails"\n')
    (project / "images" / "broken" / "Dockerfile").write_text(
        "FROM monasca/debian:bookworm-slim\nRUN echo failing-step-ran && exit 3\n")
    result = run_cli("build", cwd=project)
    assert result.returncode == 1
    assert "building monasca-test/broken:latest failed" in result.stderr
    assert "failing-step-ran" in result.stderr
    assert docker("image", "inspect", "monasca-test/broken:latest", check=False).returncode != 0


def test_doctor_reports_a_ready_machine(base_image):
    result = run_cli("doctor")
    assert result.returncode == 0, result.stdout + result.stderr
    for part in ("engine", "client", "compose", "buildx", "disk", "ca bundle", "https in build"):
        assert any(line.startswith("ok ") and f" {part} " in line for line in result.stdout.splitlines()), \
            result.stdout


def test_doctor_without_an_engine_says_how_to_get_one():
    result = run_cli("doctor", env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
    assert result.returncode == 1
    assert "BAD engine" in result.stdout and "scripts/setup-engine" in result.stdout


def test_info_shows_labels_and_versions_of_a_built_image(base_image):
    result = run_cli("info", "base")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["image"] == "monasca/base:latest"
    assert info["labels"]["org.opencontainers.image.revision"] == info["versions"]["revision"]
