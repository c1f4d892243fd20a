"""What every image of the catalog promises, checked on the built images."""
import json
import re
import subprocess

import pytest

from monasca_docker import catalog, engine

from tests.support import CLI, ROOT, docker

IMAGES = [image for image in catalog.load(ROOT).values() if image.recipe == "dockerfile"]
OCI = "org.opencontainers.image."


def component_of(image):
    """The catalog entry whose component the image carries (itself or an ancestor)."""
    images = catalog.load(ROOT)
    for name in [image.name, *catalog.ancestors(images, image.name)]:
        if images[name].component:
            return images[name]
    return None


@pytest.fixture(scope="session")
def built():
    """Every image of the catalog, built by the CLI (no-op when up to date)."""
    result = subprocess.run([CLI, "build"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("image", IMAGES, ids=lambda image: image.name)
def test_version_says_what_the_image_was_built_from(built, image):
    record = json.loads(docker("run", "--rm", image.ref, "version", "--json").stdout)
    human = docker("run", "--rm", image.ref, "version").stdout
    labels = engine.image_labels(image.ref)
    assert record["image"] == image.repository
    assert record["created"] == labels[OCI + "created"]
    assert record["revision"] == labels[OCI + "revision"]
    assert labels[OCI + "title"] == image.title
    owner = component_of(image)
    if owner is not None:
        assert record["component"] == owner.component
        assert record[owner.component] == owner.version          # the catalog's PyPI release
        assert record["component_source"] == f"https://pypi.org/project/{owner.component}/"
        assert re.search(rf"^{re.escape(owner.component)}:\s+{re.escape(owner.version)}$", human, re.MULTILINE)


BUILDERS = {image.builder for image in IMAGES if image.builder}


@pytest.mark.parametrize("image", IMAGES, ids=lambda image: image.name)
def test_runs_unprivileged_and_only_the_builder_has_compilers(built, image):
    result = docker("run", "--rm", "--entrypoint", "sh", image.ref, "-c",
                    "id -u; command -v gcc || echo no-compiler")
    uid, compiler = result.stdout.split()
    assert uid != "0"
    assert (compiler != "no-compiler") == (image.name in BUILDERS), compiler
