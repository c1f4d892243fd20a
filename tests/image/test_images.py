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


@pytest.mark.parametrize("image", IMAGES, ids=lambda image: image.name)
def test_runs_unprivileged_and_only_the_builder_has_compilers(built, image):
    result = docker("run", "--rm", "--entrypoint", "sh", image.ref, "-c",
                    "id -u; command -v gcc || echo no-compiler")
    uid, compiler = result.stdout.split()
    assert uid != "0"
    # images/builder only: java-builder is Maven on a Java runtime, with no compiler either
    assert (compiler != "no-compiler") == (image.name == "builder"), compiler


PYTHON_IMAGES = [image for image in IMAGES if image.builder == "builder"]   # the Python build stage
# Names of the distributions found twice, and the shared objects under the
# venv that still carry debug sections.
VENV_CHECK = """
import collections, importlib.metadata, json, pathlib, struct, sys
def sections(data):  # the section names of a 64-bit ELF file
    shoff, = struct.unpack_from("<Q", data, 0x28)
    size, count, names = struct.unpack_from("<HHH", data, 0x3A)
    header = lambda i: struct.unpack_from("<I20xQQ", data, shoff + i * size)
    _, start, length = header(names)
    table = data[start:start + length]
    return {table[n:table.index(0, n)] for n, _, _ in map(header, range(count))}
names = collections.Counter(d.metadata["Name"].lower().replace("_", "-") for d in importlib.metadata.distributions())
debug = [str(p) for p in pathlib.Path(sys.prefix).rglob("*.so*")
         if p.is_file() and b".debug_info" in sections(p.read_bytes())]
print(json.dumps({"twice": sorted(n for n, c in names.items() if c > 1), "debug": sorted(debug)}))
"""


def venv_facts(ref):
    return json.loads(docker("run", "--rm", "--entrypoint", "python", ref, "-c", VENV_CHECK).stdout)


@pytest.mark.parametrize("image", PYTHON_IMAGES, ids=lambda image: image.name)
def test_one_version_of_each_distribution_and_no_debug_symbols_added(built, image):
    # The runtime stage takes only what the install changed in base's venv
    # (monasca-venv-layer, images/builder/README.rst): a toolkit package that the lock
    # pins at another version leaves no second *.dist-info behind, and the
    # compiled modules the install added are stripped.
    facts = venv_facts(image.ref)
    assert facts["twice"] == []
    assert set(facts["debug"]) <= set(venv_facts("monasca/base:latest")["debug"])
