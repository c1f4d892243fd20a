import pytest

from monasca_docker import catalog

from tests.support import ROOT, build


def built_image(name):
    """A module fixture: the catalog's image `name`, built by the CLI (a no-op when up to date); its reference."""
    @pytest.fixture(scope="module")
    def image(base_image):
        build(name)
        return catalog.load(ROOT)[name].ref
    return image
