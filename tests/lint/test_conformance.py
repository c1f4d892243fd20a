"""The project's conformance rules: every image folder passes, and each rule fires on a bad example."""
import pytest

from monasca_docker import catalog, conformance, lint

from ..support import ROOT

IMAGES = catalog.load(ROOT)
PARENTS = catalog.built_upon(IMAGES)
DOCKERFILE_IMAGES = [image for image in IMAGES.values() if image.recipe == "dockerfile"]


@pytest.mark.parametrize("image", DOCKERFILE_IMAGES, ids=lambda image: image.name)
def test_image_folder_conforms(image):
    assert conformance.check(image, catalog.folder(image, ROOT), image.name in PARENTS) == []


SCRIPTS = lint.shell_scripts(ROOT)


def test_scripts_are_found():
    assert ROOT / "scripts" / "setup-engine" in SCRIPTS and ROOT / "images" / "api" / "start.sh" in SCRIPTS


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_shellcheck_clean(script):
    assert lint.shellcheck(script) == []


def test_shellcheck_fires(tmp_path):
    bad = tmp_path / "bad.sh"
    bad.write_text("#!/bin/sh\ncd $1\nrm -rf $2/*\n")
    assert any("SC2086" in line for line in lint.shellcheck(bad))


# --- each rule fires on a bad folder -------------------------------------------

GOOD_DOCKERFILE = """\
ARG BASE_IMAGE=monasca/base:latest
FROM ${BASE_IMAGE}
ENV MONASCA_HEALTH=process:thing
USER monasca
CMD ["/start.sh"]
"""
GOOD_README = """\
=====
thing
=====

=========== ========= =======
Variable    Default   Meaning
=========== ========= =======
``PORT``    ``80``    port
``DEBUG``   ``false`` debug
=========== ========= =======
"""


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "templates").mkdir()
    (tmp_path / "Dockerfile").write_text(GOOD_DOCKERFILE)
    (tmp_path / "README.rst").write_text(GOOD_README)
    (tmp_path / "start.sh").write_text("#!/bin/sh\nexec thing\n")
    (tmp_path / "templates" / "defaults.yml").write_text("defaults:\n  PORT: 80\n  DEBUG: false\n")
    (tmp_path / "templates" / "thing.conf.j2").write_text("port={{ PORT }}\ndebug={{ DEBUG }}\n")
    return tmp_path


IMAGE = catalog.Image(name="thing", repository="x/thing", title="t", description="d", parent="base")


def problems(folder, is_parent=False):
    return conformance.check(IMAGE, folder, is_parent)


def test_the_good_example_passes(folder):
    assert problems(folder) == []


def test_missing_start_script(folder):
    (folder / "start.sh").unlink()
    assert problems(folder) == ["thing: start.sh is missing"]


def test_not_from_base_image(folder):
    (folder / "Dockerfile").write_text(GOOD_DOCKERFILE.replace("FROM ${BASE_IMAGE}", "FROM debian"))
    assert problems(folder) == ["thing: every stage must be FROM ${BASE_IMAGE}"]


BUILT_WITH_BUILDER = GOOD_DOCKERFILE.replace("ARG BASE_IMAGE=monasca/base:latest\n", """\
ARG BASE_IMAGE=monasca/base:latest
ARG BUILDER_IMAGE=monasca/builder:latest
FROM ${BUILDER_IMAGE} AS builder
RUN monasca-pip-install /src && monasca-venv-layer save /layer
""").replace("USER monasca", """RUN --mount=type=bind,from=builder,source=/layer,target=/layer monasca-venv-layer apply /layer
USER monasca""", 1)
WITH_BUILDER = catalog.Image(name="thing", repository="x/thing", title="t", description="d",
                             parent="base", builder="builder")


def test_the_build_stage_is_from_the_catalogs_builder(folder):
    with_builder = catalog.Image(name="thing", repository="x/thing", title="t", description="d",
                                 parent="base", builder="builder")
    (folder / "Dockerfile").write_text(BUILT_WITH_BUILDER)
    assert conformance.check(with_builder, folder, False) == []
    assert problems(folder) == ["thing: every stage must be FROM ${BASE_IMAGE}"]   # no builder in the catalog
    (folder / "Dockerfile").write_text(BUILT_WITH_BUILDER.replace("${BUILDER_IMAGE} AS", "${BASE_IMAGE} AS"))
    assert conformance.check(with_builder, folder, False) == [
        "thing: the catalog names a builder: the build stage must be FROM ${BUILDER_IMAGE} AS builder"]


def test_the_runtime_takes_only_the_venv_layer(folder):
    (folder / "Dockerfile").write_text(BUILT_WITH_BUILDER)
    assert conformance.check(WITH_BUILDER, folder, False) == []
    whole_venv = ["thing: the build stage must end with `monasca-venv-layer save /layer` and the runtime stage "
                  "take only that layer (`monasca-venv-layer apply /layer` with /layer mounted from the builder: "
                  "images/builder/README.rst), not all of /opt/monasca"]
    (folder / "Dockerfile").write_text(BUILT_WITH_BUILDER.replace(
        "USER monasca", "COPY --from=builder /opt/monasca /opt/monasca\nUSER monasca", 1))
    assert conformance.check(WITH_BUILDER, folder, False) == whole_venv
    (folder / "Dockerfile").write_text(BUILT_WITH_BUILDER.replace(" && monasca-venv-layer save /layer", ""))
    assert conformance.check(WITH_BUILDER, folder, False) == whole_venv
    assert "monasca-venv-layer" not in " ".join(problems(folder))   # no builder in the catalog: not asked


def test_compilers_only_in_the_builder(folder):
    (folder / "Dockerfile").write_text(GOOD_DOCKERFILE + "RUN apt-get update && apt-get install -y gcc python3-dev"
                                                         " && rm -rf /var/lib/apt/lists/*\n")
    assert problems(folder) == ["thing: installs compilers or headers: add them to images/builder and name it "
                                "as the image's builder in images/catalog.toml"]
    assert problems(folder, is_parent=True) == []       # the builder itself


def test_root_user(folder):
    (folder / "Dockerfile").write_text(GOOD_DOCKERFILE.replace("USER monasca", "USER root"))
    assert "root" in " ".join(problems(folder))


def test_no_health_check(folder):
    (folder / "Dockerfile").write_text(GOOD_DOCKERFILE.replace("ENV MONASCA_HEALTH=process:thing\n", ""))
    assert "no health check" in " ".join(problems(folder))


def test_start_script_without_exec(folder):
    (folder / "start.sh").write_text("#!/bin/sh\nthing\n")
    assert "must exec the service" in " ".join(problems(folder))


def test_package_caches_left(folder):
    (folder / "Dockerfile").write_text(GOOD_DOCKERFILE + "RUN apt-get update && apt-get install -y x \\\n    && true\n"
                                       "RUN pip install thing\n")
    found = " ".join(problems(folder))
    assert "/var/lib/apt/lists" in found and "--no-cache-dir" in found


def test_invalid_readme(folder):
    (folder / "README.rst").write_text(GOOD_README + "\n`unclosed\n")
    assert "not valid reStructuredText" in " ".join(problems(folder))


def test_undocumented_variable(folder):
    (folder / "templates" / "thing.conf.j2").write_text("port={{ PORT }}\nhost={{ HOST }}\ndebug={{ DEBUG }}\n")
    assert problems(folder) == ["thing: README.rst does not document HOST"]


def test_readme_default_drifts_from_defaults_yml(folder):
    (folder / "templates" / "defaults.yml").write_text("defaults:\n  PORT: 8080\n  DEBUG: false\n")
    assert problems(folder) == ["thing: README.rst gives another default for PORT than defaults.yml (8080)"]
