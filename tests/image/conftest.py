import pytest

from tests.support import build


@pytest.fixture(scope="session")
def base_image():
    """monasca/base, built by the CLI (a no-op when its inputs are unchanged)."""
    build("base")
    return "monasca/base:latest"
